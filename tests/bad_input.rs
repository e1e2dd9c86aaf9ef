//! Hostile input and faults, through the real binary: every malformed scenario of
//! `tests/bad_input/` (listed with its expected message and line in `expectations.toml`),
//! cases generated here because they are too big to commit (a 50 MB file, a 300-node
//! route, `extends` of an endless device), the guard rails against input that would
//! exhaust memory or never end, and faults while writing (an output path under a file, a
//! full disk) and interruption.
//!
//! Every bad input must be refused with exit code 2 by `check` and by `run`, with the
//! `file:line:` of the problem, before `run` creates its results folder.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use corridor::batch::{BatchError, BatchOptions, Job, ProgressEvent};
use corridor::model::Model;
use corridor::scenario;
use corridor::study::{self, StudyError};

const BIN: &str = env!("CARGO_BIN_EXE_corridor");

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input")
}

/// Runs the binary with no stdin (it must never read it).
fn corridor(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run the corridor binary")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[derive(serde::Deserialize)]
struct Expect {
    line: usize,
    message: String,
}

fn expectations() -> Vec<(String, Expect)> {
    #[derive(serde::Deserialize)]
    struct File {
        expect: std::collections::BTreeMap<String, Expect>,
    }
    let text = fs::read_to_string(corpus_dir().join("expectations.toml")).unwrap();
    let f: File = toml::from_str(&text).unwrap();
    f.expect.into_iter().collect()
}

/// `check` and `run` both refuse `path` with exit code 2, `fragment` and `:line:` on
/// stderr, and `run` leaves no results folder behind.
fn assert_refused(path: &Path, line: usize, fragment: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let p = path.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let out_s = out.to_str().unwrap();
    for (what, args) in [
        ("check", vec!["check", p]),
        (
            "run",
            vec!["run", p, "--out", out_s, "--reps", "1", "-q", "--no-plots"],
        ),
    ] {
        let o = corridor(&args);
        let err = stderr(&o);
        let name = path.file_name().unwrap().to_string_lossy();
        if o.status.code() != Some(2) {
            failures.push(format!(
                "{name} ({what}): exit {:?}, expected 2; stderr: {err}",
                o.status.code()
            ));
        }
        if !err.contains(fragment) {
            failures.push(format!("{name} ({what}): stderr lacks `{fragment}`: {err}"));
        }
        if !err.contains(&format!(":{line}:")) {
            failures.push(format!("{name} ({what}): stderr lacks `:{line}:`: {err}"));
        }
        if out.exists() {
            failures.push(format!(
                "{name} ({what}): a results folder was created for a refused scenario"
            ));
        }
    }
    failures
}

#[test]
fn every_corpus_file_is_refused_with_its_message_and_line() {
    let expect = expectations();
    assert!(expect.len() >= 40, "the corpus shrank: {}", expect.len());
    let mut failures = Vec::new();
    for (file, e) in &expect {
        let path = corpus_dir().join(file);
        if !path.exists() {
            failures.push(format!("{file}: listed in expectations.toml but missing"));
            continue;
        }
        failures.extend(assert_refused(&path, e.line, &e.message));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_corpus_file_has_an_expectation() {
    let listed: Vec<String> = expectations().into_iter().map(|(f, _)| f).collect();
    for entry in fs::read_dir(corpus_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name == "expectations.toml" {
            continue;
        }
        assert!(
            listed.contains(&name),
            "{name} has no entry in tests/bad_input/expectations.toml"
        );
    }
}

/// The loader itself, without the binary: no corpus file may make it panic, and each is
/// an `Invalid` error whose first diagnostic is on the expected line or before.
#[test]
fn loader_reports_corpus_files_as_diagnostics() {
    for (file, e) in expectations() {
        let err = scenario::load(&corpus_dir().join(&file)).expect_err(&file);
        let lines: Vec<usize> = err.diagnostics().iter().map(|d| d.line).collect();
        assert!(lines.contains(&e.line), "{file}: lines {lines:?}");
    }
}

// ---- generated cases ------------------------------------------------------------------

#[test]
fn a_50_mb_file_is_refused_without_parsing_it() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("huge.toml");
    let line = "# padding to make a scenario file far larger than any real one.......\n";
    let mut text = String::from("[run]\nname = \"huge\"\nfirst_year = 2025\nlast_year = 2025\n");
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(line);
    }
    fs::write(&path, text).unwrap();
    let started = std::time::Instant::now();
    let f = assert_refused(&path, 1, "larger than the limit of 16777216 bytes");
    assert!(f.is_empty(), "{}", f.join("\n"));
    assert!(started.elapsed().as_secs() < 30);
}

#[test]
fn extends_of_an_endless_device_is_refused() {
    if !Path::new("/dev/zero").exists() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("zero.toml");
    fs::write(
        &path,
        "extends = \"/dev/zero\"\n[run]\nname = \"z\"\nfirst_year = 2025\nlast_year = 2025\n",
    )
    .unwrap();
    // Refused before reading a byte: only regular files are opened (a device or a FIFO
    // would be read forever or block forever).
    let f = assert_refused(&path, 1, "not a regular file");
    assert!(f.is_empty(), "{}", f.join("\n"));
}

#[test]
fn a_route_longer_than_a_leg_counter_is_refused() {
    // 300 nodes in a chain: more legs than a container's one-byte leg counter holds.
    let n = 300;
    let mut t = String::from("[run]\nname = \"long\"\nfirst_year = 2025\nlast_year = 2025\n");
    for i in 0..n {
        t.push_str(&format!("\n[[nodes]]\nid = \"n{i}\"\n"));
    }
    for i in 0..n - 1 {
        t.push_str(&format!(
            "\n[[links]]\nid = \"l{i}\"\nfrom = \"n{i}\"\nto = \"n{}\"\nmode = \"rail\"\nrail = {{ train_capacity_teu = 50, extra_hours = {{ constant = 1 }} }}\n",
            i + 1
        ));
    }
    t.push_str("\n[[routes]]\nid = \"main\"\n");
    let line = t.lines().count() + 1;
    let ids: Vec<String> = (0..n).map(|i| format!("\"n{i}\"")).collect();
    t.push_str(&format!("nodes = [{}]\n", ids.join(", ")));
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("long.toml");
    fs::write(&path, t).unwrap();
    let f = assert_refused(&path, line, "a route may have at most 256 nodes");
    assert!(f.is_empty(), "{}", f.join("\n"));
}

/// `timetable_hours = 0.1` (the floor) on 500 rail links over 100 years: each field is
/// allowed, but together they are 4.4×10^9 departure slots, each an event, and a
/// replication ran for minutes. The total is refused up front, at the first link with the
/// most slots.
#[test]
fn timetable_slots_beyond_the_limit_are_refused() {
    let mut t = String::from(
        "[run]\nname = \"slots\"\nfirst_year = 2000\nlast_year = 2099\nreplications = 1\n\n[[nodes]]\nid = \"a\"\n",
    );
    let mut line = 0;
    for i in 0..500 {
        t.push_str(&format!(
            "\n[[nodes]]\nid = \"b{i}\"\n\n[[links]]\nid = \"l{i}\"\nfrom = \"a\"\nto = \"b{i}\"\nmode = \"rail\"\n"
        ));
        if i == 0 {
            line = t.lines().count() + 1;
        }
        t.push_str("rail = { train_capacity_teu = 50, extra_hours = { constant = 1 }, timetable_hours = 0.1 }\n");
    }
    t.push_str("\n[[routes]]\nid = \"main\"\nnodes = [\"a\", \"b0\"]\n\n[[flows]]\nid = \"f\"\nroutes = [{ route = \"main\", share = 1.0 }]\nteu_per_year = { \"2000\" = 1000 }\n");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("slots.toml");
    fs::write(&path, t).unwrap();
    let f = assert_refused(&path, line, "departure slots per replication");
    assert!(f.is_empty(), "{}", f.join("\n"));
}

#[test]
fn missing_file_and_folder_are_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    for p in [tmp.path().join("nope.toml"), tmp.path().to_path_buf()] {
        let o = corridor(&["check", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("cannot read scenario file"));
    }
}

#[test]
fn a_billion_replications_on_the_command_line_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = corridor(&[
        "run",
        "scenarios/mmc-station.toml",
        "--reps",
        "1000000000",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("between 1 and 100000"));
    assert!(!out.exists());
}

// ---- guard rails at run time ----------------------------------------------------------

/// A small valid scenario, with `flow` replacing the flow's TEU a year.
fn one_station(teu_per_year: &str, extra: &str) -> String {
    format!(
        "[run]\nname = \"station\"\nfirst_year = 2025\nlast_year = 2025\nreplications = 1\n\n\
         [[nodes]]\nid = \"a\"\ncranes = 1\nhandling_minutes = {{ constant = 5 }}\n\n\
         [[nodes]]\nid = \"b\"\n\n\
         [[links]]\nid = \"a-b\"\nfrom = \"a\"\nto = \"b\"\nmode = \"rail\"\n\
         rail = {{ train_capacity_teu = 50, extra_hours = {{ constant = 10 }}{extra} }}\n\n\
         [[routes]]\nid = \"main\"\nnodes = [\"a\", \"b\"]\n\n\
         [[flows]]\nid = \"f\"\nroutes = [{{ route = \"main\", share = 1.0 }}]\n\
         teu_per_year = {{ \"2025\" = {teu_per_year} }}\n"
    )
}

/// 5×10^7 TEU a year through one crane (5-minute moves: about 10^5 a year) is valid, but
/// the backlog would grow by millions of boxes a month: the run stops at the in-system
/// limit with a message naming the place, exit 1, keeps the folder's manifest and writes
/// no summary.
#[test]
fn a_runaway_backlog_stops_the_run_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("flood.toml");
    fs::write(&path, one_station("5e7", "")).unwrap();
    let out = tmp.path().join("out");
    let o = corridor(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
        "-j",
        "1",
        "--no-plots",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("more than 5000000 containers in the corridor at once in 2025"),
        "{err}"
    );
    assert!(err.contains("node `a`"), "{err}");
    assert!(!out.join("summary.csv").exists());
}

/// The "zero-duration loop" candidates: a sea crossing whose vessels sail and turn round
/// in no time with min_load_share 0, and the shortest timetable allowed. Neither can spin:
/// an empty vessel never leaves, and the timetable floor bounds slots to 87,600 a year.
#[test]
fn zero_duration_cycles_finish_quickly() {
    let sea = "[run]\nname = \"sea0\"\nfirst_year = 2025\nlast_year = 2026\nreplications = 2\n\n\
        [[nodes]]\nid = \"aktau\"\nkind = \"port\"\nberths = 1\nvessel_call_hours = { constant = 0 }\n\n\
        [[nodes]]\nid = \"alat\"\nkind = \"port\"\nberths = 1\nvessel_call_hours = { constant = 0 }\n\n\
        [[links]]\nid = \"crossing\"\nfrom = \"aktau\"\nto = \"alat\"\nmode = \"sea\"\n[links.sea]\n\
        sailing_hours = { constant = 0 }\nreturn_hours = { constant = 0 }\nmin_load_share = 0.0\nmax_wait_hours = 0\n\
        [[links.sea.fleet]]\nclass = \"feeder\"\ncapacity_teu = 100\ncount = 50\n\n\
        [[routes]]\nid = \"main\"\nnodes = [\"aktau\", \"alat\"]\n\n\
        [[flows]]\nid = \"f\"\nroutes = [{ route = \"main\", share = 1.0 }]\nteu_per_year = { \"2025\" = 100000 }\n";
    let timetable = one_station("1000", ", timetable_hours = 0.1");
    for (name, text) in [("sea0", sea.to_string()), ("timetable", timetable)] {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(format!("{name}.toml"));
        fs::write(&path, &text).unwrap();
        let loaded = scenario::load(&path).unwrap();
        let model = Model::build(&loaded.file).unwrap();
        let started = std::time::Instant::now();
        let r = model.try_run(0).unwrap();
        assert!(r.conservation.holds(), "{name}");
        assert!(
            started.elapsed().as_secs() < 20,
            "{name} took {:?}",
            started.elapsed()
        );
    }
}

/// Random closures of one node, 365 a year, lasting 100 h or 10^5 h: they overlap, so the
/// node is closed nearly all the time and its queue grows all year. Each closure start
/// used to re-plan the whole queue (and leave its cancelled calendar entries behind):
/// 96 s and 1.1 GB for this two-year replication with 100 h, 90 s and 4.2 GB with
/// 10^5 h, against 0.6 s and 0.07 s now that boxes wait unplanned while the node is closed.
#[test]
fn overlapping_closures_do_not_replan_the_queue() {
    let base = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mmc-station.toml"),
    )
    .unwrap();
    for hours in ["100", "100000"] {
        let text = format!(
            "{base}\n[[disruptions]]\nid = \"c\"\nsubject = \"nodes.station\"\nevents_per_year = 365\nduration_hours = {{ constant = {hours} }}\n"
        );
        let loaded = scenario::load_str(&text, Path::new("closures.toml")).unwrap();
        let model = Model::build(&loaded.file).unwrap();
        let started = std::time::Instant::now();
        let r = model.try_run(0).unwrap();
        assert!(r.conservation.holds(), "{hours} h");
        assert!(
            started.elapsed().as_secs() < 20,
            "closures of {hours} h took {:?}",
            started.elapsed()
        );
    }
}

// ---- faults while writing -------------------------------------------------------------

/// A results folder that cannot be created because a file stands where a folder should
/// be (this also covers read-only folders, which tests running as root cannot create).
#[test]
fn output_under_a_file_fails_with_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-folder");
    fs::write(&file, "x").unwrap();
    // `--out` naming a file is the user's mistake (exit 2, said before anything runs); a
    // folder that cannot be created under it fails in the file system (exit 1).
    for (out, code) in [(file.clone(), 2), (file.join("out"), 1)] {
        let o = corridor(&[
            "run",
            "scenarios/mmc-station.toml",
            "--reps",
            "1",
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--no-plots",
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(code), "{err}");
        assert!(err.contains("not-a-folder"), "{err}");
    }
    assert_eq!(fs::read(&file).unwrap(), b"x", "the file was touched");
}

/// A full disk, simulated with the file-size limit (`ulimit -f`, which binds root too):
/// writes past 64 KB fail with EFBIG like they would with ENOSPC, since SIGXFSZ is
/// ignored. The run fails with exit 1 naming the file; every replication file present is
/// complete (atomic writes), no temporary file is left, and no summary pretends the run
/// completed.
#[test]
fn a_full_disk_fails_cleanly() {
    if Command::new("sh").arg("-c").arg("true").status().is_err() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 128; exec \"$0\" \"$@\"")
        .arg(BIN)
        .args([
            "run",
            "scenarios/baseline-2025.toml",
            "--reps",
            "40",
            "-j",
            "1",
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--no-plots",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("File too large"), "{err}");
    assert!(err.contains(out.to_str().unwrap()), "{err}");
    assert!(!out.join("summary.csv").exists());
    assert!(!out.join("summary.json").exists());
    let mut files = Vec::new();
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    for p in &files {
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(
            !corridor::output::is_temp_file_name(&name),
            "temporary file left: {}",
            p.display()
        );
        if name.ends_with(".json") {
            let bytes = fs::read(p).unwrap();
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .unwrap_or_else(|e| panic!("{} is torn: {e}", p.display()));
        }
    }
}

// ---- interruption ---------------------------------------------------------------------

fn station_job(reps: u64) -> Job {
    let loaded = scenario::load_str(&one_station("20000", ""), Path::new("station.toml")).unwrap();
    let model = Model::build(&loaded.file).unwrap();
    Job {
        scenario: "station".to_string(),
        scenario_hash: loaded.hash.clone(),
        seed: model.seed(),
        replications: reps,
        targets: Vec::new(),
        sim: Arc::new(model),
    }
}

/// Library level: the cancellation flag set after three replications (from the progress
/// callback, as a signal would between them) stops the batch with `Interrupted`; the three
/// are persisted, nothing else is written, and `--resume` runs only the rest.
#[test]
fn interruption_keeps_finished_replications_and_resume_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let jobs = vec![station_job(10)];
    let opts = BatchOptions {
        jobs_threads: 1,
        out_dir: Some(out.clone()),
        ..Default::default()
    };
    let cancel = AtomicBool::new(false);
    let on_progress = |e: ProgressEvent| {
        if let ProgressEvent::Replication { done, .. } = e
            && done == 3
        {
            cancel.store(true, Ordering::SeqCst);
        }
    };
    let err = study::run_jobs_with_cancel(&jobs, &opts, &on_progress, Some(&cancel))
        .expect_err("the batch must stop");
    let StudyError::Batch(BatchError::Interrupted {
        finished, items, ..
    }) = &err
    else {
        panic!("expected Interrupted, got {err}");
    };
    assert_eq!((*finished, *items), (3, 10));
    let msg = err.to_string();
    assert!(
        msg.contains("3 of 10 replications finished and are kept"),
        "{msg}"
    );
    assert!(msg.contains("--resume"), "{msg}");
    let reps = out.join(".replications/station");
    assert_eq!(fs::read_dir(&reps).unwrap().count(), 3);
    assert!(!out.join("summary.csv").exists());

    let resumed = study::run_jobs(
        &jobs,
        &BatchOptions {
            resume: true,
            ..opts.clone()
        },
        &|_| {},
    )
    .unwrap();
    assert!(resumed.complete);
    assert_eq!(
        (resumed.replications_resumed, resumed.replications_run),
        (3, 7)
    );
    assert!(out.join("summary.csv").exists());
}

/// A flag raised during the last replication leaves nothing undone: the batch completes.
#[test]
fn interruption_after_the_last_replication_is_not_an_error() {
    let jobs = vec![station_job(2)];
    let cancel = AtomicBool::new(false);
    let seen = Mutex::new(0);
    let on_progress = |e: ProgressEvent| {
        if let ProgressEvent::Replication { done, items, .. } = e {
            *seen.lock().unwrap() += 1;
            if done == items {
                cancel.store(true, Ordering::SeqCst);
            }
        }
    };
    let opts = BatchOptions {
        jobs_threads: 1,
        ..Default::default()
    };
    let r = study::run_jobs_with_cancel(&jobs, &opts, &on_progress, Some(&cancel)).unwrap();
    assert!(r.complete);
    assert_eq!(*seen.lock().unwrap(), 2);
}

/// CLI level: Ctrl-C (SIGINT) during `corridor run` exits with 130 and the message of
/// `BatchError::Interrupted`, keeps the finished replications, writes no summary, and
/// `--resume` then completes the run.
#[test]
fn sigint_during_a_run_exits_130_and_keeps_replications() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let reps_dir = out.join(".replications/baseline-2025");
    let child = Command::new(BIN)
        .args([
            "run",
            "scenarios/baseline-2025.toml",
            "--reps",
            "200",
            "-j",
            "1",
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--no-plots",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while fs::read_dir(&reps_dir).map_or(0, |d| d.count()) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "no replication written"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(err.contains("--resume"), "{err}");
    assert!(!out.join("summary.csv").exists());
    let kept = fs::read_dir(&reps_dir).unwrap().count();
    assert!((2..200).contains(&kept), "{kept}");
}
