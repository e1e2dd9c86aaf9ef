//! The cluster examples keep working: `examples/slurm-array.sh` run as ten array tasks
//! (and in its submit mode, against a stand-in `sbatch`) gives folders that merge into one
//! unsharded run, and `examples/k8s-indexed-job.yaml` keeps its shard count equal to its
//! completions.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_corridor");

fn script() -> PathBuf {
    Path::new(ROOT).join("examples/slurm-array.sh")
}

/// bash with a clean shard environment: a test run inside a real Slurm array must not
/// leak its own task id into the simulated tasks.
fn bash(dir: &Path) -> Command {
    let mut c = Command::new("bash");
    c.current_dir(dir);
    for v in [
        "CORRIDOR_SHARD",
        "CORRIDOR_SHARD_COUNT",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_STEP",
        "SLURM_CPUS_PER_TASK",
        "JOB_COMPLETION_INDEX",
        "REPS",
    ] {
        c.env_remove(v);
    }
    c.env("CORRIDOR", BIN);
    c
}

#[track_caller]
fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_path_buf();
                // Provenance (and the report quoting it, and the ledger holding their
                // hashes) records how the run went.
                let name = rel.to_string_lossy();
                if ![
                    "provenance.json",
                    "report.md",
                    "report.html",
                    ".corridor-files.log",
                ]
                .contains(&name.as_ref())
                {
                    out.push((rel, fs::read(&p).unwrap()));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn slurm_array_tasks_merge_into_one_run() {
    let tmp = TempDir::new().unwrap();
    let results = tmp.path().join("results");
    let scenario = Path::new(ROOT).join("scenarios/mmc-station.toml");
    let sc = scenario.to_str().unwrap();

    // Twelve replications over ten tasks: tasks 0 and 1 run two, the others one.
    for task in 0..10 {
        ok(bash(tmp.path())
            .arg(script())
            .arg(sc)
            .env("RESULTS", &results)
            .env("REPS", "12")
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", "10")
            .env("SLURM_CPUS_PER_TASK", "1")
            .output()
            .unwrap());
        let reps = fs::read_dir(results.join(format!("shard-{task}/.replications/mmc-station")))
            .unwrap()
            .count();
        assert_eq!(reps, if task < 2 { 2 } else { 1 }, "task {task}");
    }

    // Submit mode, against an `sbatch` that records its arguments: the merge job's
    // command is taken from the recorded --wrap and run as Slurm would, with sh.
    let bin = tmp.path().join("bin");
    fs::create_dir(&bin).unwrap();
    let sbatch = bin.join("sbatch");
    fs::write(
        &sbatch,
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> \"$SBATCH_LOG\"; done\n\
         echo '---' >> \"$SBATCH_LOG\"\necho 4242\n",
    )
    .unwrap();
    fs::set_permissions(&sbatch, fs::Permissions::from_mode(0o755)).unwrap();
    let log = tmp.path().join("sbatch.log");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    ok(bash(tmp.path())
        .arg(script())
        .arg(sc)
        .env("RESULTS", &results)
        .env("SBATCH_LOG", &log)
        .env("PATH", path)
        .output()
        .unwrap());
    let log = fs::read_to_string(&log).unwrap();
    let submissions: Vec<&str> = log.split("---\n").filter(|s| !s.is_empty()).collect();
    assert_eq!(submissions.len(), 2, "the array, then the merge:\n{log}");
    assert!(
        submissions[1].contains("--dependency=afterok:4242"),
        "{log}"
    );
    let wrap = submissions[1]
        .lines()
        .find_map(|l| l.strip_prefix("--wrap="))
        .expect("the merge job is a --wrap command");
    ok(Command::new("sh")
        .args(["-c", wrap])
        .current_dir(tmp.path())
        .output()
        .unwrap());

    let full = tmp.path().join("full");
    ok(Command::new(BIN)
        .args(["run", sc, "--reps", "12", "--quiet", "--out"])
        .arg(&full)
        .env_remove("CORRIDOR_SHARD")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .unwrap());
    let (a, b) = (files(&full), files(&results.join("merged")));
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((p, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{} differs between the run and the merge",
            p.display()
        );
    }
}

#[test]
fn k8s_shard_count_matches_completions() {
    let yaml = fs::read_to_string(Path::new(ROOT).join("examples/k8s-indexed-job.yaml")).unwrap();
    let lines: Vec<&str> = yaml.lines().map(str::trim).collect();
    assert!(lines.contains(&"completionMode: Indexed"));
    let completions = lines
        .iter()
        .find_map(|l| l.strip_prefix("completions: "))
        .expect("completions is set");
    let count_at = lines
        .iter()
        .position(|l| *l == "- name: CORRIDOR_SHARD_COUNT")
        .expect("CORRIDOR_SHARD_COUNT is set");
    let count = lines[count_at + 1]
        .strip_prefix("value: ")
        .expect("a literal value")
        .trim_matches('"');
    assert_eq!(
        count, completions,
        "CORRIDOR_SHARD_COUNT must equal completions"
    );
    assert!(yaml.contains("/results/shard-$(SHARD_INDEX)"));
    assert!(yaml.contains("corridor merge /results/shard-* --out /results/merged"));
}
