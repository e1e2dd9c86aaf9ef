//! What the `corridor` command prints, as a planner reads it: every simulated year with its
//! demand and share served, targets worded with counts, plain messages for bad arguments,
//! and a quiet end when stdout is a closed pipe (`corridor run … | head`).

use std::fs;
use std::io::Read;
use std::process::{Command, Stdio};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The binary from the crate root, never sharded by the environment.
fn corridor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_corridor"));
    c.current_dir(ROOT);
    for v in [
        "CORRIDOR_SHARD",
        "CORRIDOR_SHARD_COUNT",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "JOB_COMPLETION_INDEX",
    ] {
        c.env_remove(v);
    }
    c
}

#[test]
fn every_year_is_printed_with_demand_and_share_served() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hub");
    let out = corridor()
        .args([
            "run",
            "scenarios/aktau-hub-2028.toml",
            "--reps",
            "3",
            "--quiet",
        ])
        .args(["--no-plots", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary = fs::read_to_string(dir.join("summary.csv")).unwrap();
    for year in 2024..=2030 {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&year.to_string()))
            .unwrap_or_else(|| panic!("year {year} not printed:\n{stdout}"));
        assert!(line.contains('%'), "no share served for {year}: {line}");
        // The demand printed is the CSV's created_teu, with separators.
        let created: f64 = summary
            .lines()
            .find(|l| l.contains(&format!(",{year},created_teu,corridor,corridor,")))
            .and_then(|l| l.split(',').nth(5))
            .and_then(|v| v.parse().ok())
            .unwrap();
        let shown = corridor::output::console::thousands(created);
        assert!(
            line.contains(&shown),
            "{year}: demand {shown} not in {line}"
        );
    }
    assert!(stdout.contains("served = delivered ÷ created"), "{stdout}");
    // Targets say how many replications, never a bare share or a "first met" for ceilings.
    let upper = stdout
        .lines()
        .find(|l| l.contains("aktau-alat-2024-upper"))
        .unwrap();
    assert!(upper.contains("within the ceiling in 2024 in"), "{upper}");
    assert!(upper.contains(" of 3 replications"), "{upper}");
    assert!(!upper.contains("first"), "{upper}");
    assert!(
        !stdout.contains("Baku International"),
        "short names only:\n{stdout}"
    );
}

#[test]
fn closed_stdout_pipe_ends_quietly_and_writes_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mmc");
    let mut child = corridor()
        .args([
            "run",
            "scenarios/mmc-station.toml",
            "--reps",
            "2",
            "--quiet",
            "--out",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the program prints anything, as `| head -0` would.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(dir.join("summary.csv").is_file());
    assert!(
        dir.join("report.html").is_file(),
        "the report is still written"
    );
}

#[test]
fn negative_replications_and_shards_get_plain_messages() {
    let out = corridor()
        .args(["run", "scenarios/mmc-station.toml", "--reps", "-3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("whole number between 1 and 100000") && !err.contains("unexpected argument"),
        "{err}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = corridor()
        .args([
            "run",
            "scenarios/mmc-station.toml",
            "--shard",
            "3/3",
            "--out",
        ])
        .arg(tmp.path().join("x"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("shards are numbered 0 to N−1"), "{err}");
}

#[test]
fn help_names_every_exit_code_and_every_argument() {
    let out = corridor().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for code in ["0 success", "1 failure", "2 bad input", "130 interrupted"] {
        assert!(help.contains(code), "{code} missing:\n{help}");
    }
    for sub in [
        "run", "batch", "compare", "sweep", "merge", "warmup", "plot", "check",
    ] {
        let out = corridor().args([sub, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        let args = help
            .split("Arguments:")
            .nth(1)
            .and_then(|a| a.split("Options:").next())
            .unwrap_or_else(|| panic!("{sub}: no arguments section:\n{help}"));
        for line in args.lines().filter(|l| l.trim_start().starts_with('<')) {
            let described = line
                .trim_start()
                .split_once('>')
                .map(|(_, d)| d.trim_start_matches("...").trim());
            assert!(
                described.is_some_and(|d| d.len() > 5),
                "{sub}: argument without help: {line}"
            );
        }
    }
}

#[test]
fn a_map_year_outside_the_run_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mmc");
    let out = corridor()
        .args([
            "run",
            "scenarios/mmc-station.toml",
            "--reps",
            "2",
            "--quiet",
            "--no-plots",
        ])
        .arg("--out")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = corridor()
        .arg("plot")
        .arg(&dir)
        .args(["--map-year", "2050"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no year 2050") && err.contains("2025–2026"),
        "{err}"
    );
    assert!(!dir.join("plots").exists(), "nothing drawn");
}

#[test]
fn a_swept_parameter_the_timeline_changes_is_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let out = corridor()
        .args([
            "sweep",
            "scenarios/baseline-2025.toml",
            "--set",
            "nodes.aktau.berths=1,2",
        ])
        .args(["--reps", "1", "--quiet", "--no-plots", "--out"])
        .arg(tmp.path().join("sw"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: --set nodes.aktau.berths: timeline change `aktau-hub-phase-1`"),
        "{err}"
    );
    // A parameter no timeline change touches gives no warning.
    let out = corridor()
        .args([
            "sweep",
            "scenarios/mmc-station.toml",
            "--set",
            "nodes.station.cranes=10,11",
        ])
        .args(["--reps", "1", "--quiet", "--no-plots", "--out"])
        .arg(tmp.path().join("sw2"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));

    // The timeline's own value can be swept: the hub opens with 2 or 3 berths, and three
    // berths from June 2025 leave them less busy that year.
    let out = corridor()
        .args([
            "sweep",
            "scenarios/baseline-2025.toml",
            "--set",
            "timeline.aktau-hub-phase-1.nodes.aktau.berths=2,3",
        ])
        .args(["--reps", "1", "--quiet", "--no-plots", "--out"])
        .arg(tmp.path().join("sw3"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = std::fs::read_to_string(tmp.path().join("sw3/summary.csv")).unwrap();
    let busy = |n: u32| -> f64 {
        let name = format!("baseline-2025[timeline.aktau-hub-phase-1.nodes.aktau.berths={n}]");
        summary
            .lines()
            .find(|l| l.starts_with(&format!("{name},2025,berth_utilization,node,aktau,")))
            .and_then(|l| l.split(',').nth(5))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no berth utilization for {name}"))
    };
    assert!(busy(3) < busy(2), "{} vs {}", busy(3), busy(2));
    // A change that does not set the parameter, or no change at all: exit 2, said plainly.
    for (arg, says) in [
        (
            "timeline.aktau-hub-phase-1.nodes.alat.berths=2,3",
            "timeline change `aktau-hub-phase-1` does not set `nodes.alat.berths`",
        ),
        (
            "timeline.no-such-change.nodes.aktau.berths=2",
            "no timeline change is named in",
        ),
    ] {
        let out = corridor()
            .args(["sweep", "scenarios/baseline-2025.toml", "--set", arg])
            .args(["--reps", "1", "--quiet", "--no-plots", "--out"])
            .arg(tmp.path().join("sw4"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains(says));
    }
}

/// Two nodes joined by a rail link that is shut for 100 days from 1 March 2030 (the
/// 100-day case of tests/model_cases.rs): boxes wait at A and nothing leaves, a stall.
const STALLING: &str = r#"
[run]
name = "stall-case"
first_year = 2030
last_year = 2030
seed = 7
warmup_days = 0
replications = 4

[[nodes]]
id = "a"
[[nodes]]
id = "b"
kind = "gateway"
[[links]]
id = "a-b"
from = "a"
to = "b"
mode = "rail"
[links.rail]
train_capacity_teu = 10
extra_hours = { constant = 10 }
max_wait_hours = 1
[[routes]]
id = "r"
nodes = ["a", "b"]
[[flows]]
id = "f"
routes = [{ route = "r", share = 1.0 }]
teu_per_year = { "2030" = 3650 }

[[disruptions]]
id = "shut"
subject = "links.a-b"
start = 2030-03-01
duration_hours = { constant = 2400 }
"#;

/// The `mean` and `n` of one `summary.csv` row.
fn summary_mean_n(summary: &str, metric: &str, kind: &str, subject: &str) -> (f64, usize) {
    let prefix = format!("stall-case,2030,{metric},{kind},{subject},");
    let line = summary
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} row:\n{summary}"));
    let cells: Vec<&str> = line.split(',').collect();
    (cells[5].parse().unwrap(), cells[9].parse().unwrap())
}

#[test]
fn a_stall_is_reported_by_place_and_date_and_strict_makes_it_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("stall.toml");
    fs::write(&scenario, STALLING).unwrap();
    let plain = tmp.path().join("plain");
    let out = corridor()
        .arg("run")
        .arg(&scenario)
        .args(["--quiet", "--no-plots", "--out"])
        .arg(&plain)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "without --strict: {stderr}");
    assert!(!stderr.contains("stall"), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary = fs::read_to_string(plain.join("summary.csv")).unwrap();
    let (days, n) = summary_mean_n(&summary, "stall_days", "link", "a-b");
    assert_eq!(n, 4, "every replication stalls");
    assert!((95.0..=105.0).contains(&days), "{days}");
    // The earliest start among the replications, from replications.csv.
    let reps = fs::read_to_string(plain.join("replications.csv")).unwrap();
    let earliest = reps
        .lines()
        .filter(|l| l.contains(",stall_start_day,link,a-b,"))
        .filter_map(|l| l.rsplit(',').next()?.parse::<f64>().ok())
        .fold(f64::INFINITY, f64::min);
    assert!((59.0..=61.0).contains(&earliest), "{earliest}");
    let date = corridor::output::plots::format::day_of_year(earliest);
    assert!(
        stdout.contains("stalls (boxes waiting, nothing leaving for ≥ 30 days;"),
        "{stdout}"
    );
    let expected = format!(
        "A → B (link): 2030 in 4 of 4 replications, {} days from {date}",
        days.round()
    );
    assert!(stdout.contains(&expected), "{expected} not in:\n{stdout}");
    // The block sits between the years table and the waiting ranking.
    let block = stdout.find("stalls (").unwrap();
    assert!(stdout.find("served = delivered").unwrap() < block);
    assert!(block < stdout.find("where containers wait").unwrap());

    // summary.json: the same numbers, and the earliest start.
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(plain.join("summary.json")).unwrap()).unwrap();
    let stalls = json["scenarios"][0]["stalls"].as_array().unwrap();
    assert_eq!(stalls.len(), 1, "{stalls:?}");
    let s = &stalls[0];
    assert_eq!(s["subject_kind"], "link");
    assert_eq!(s["subject"], "a-b");
    assert_eq!(s["year"], 2030);
    assert_eq!(s["replications_stalled"], 4);
    assert_eq!(s["stall_days_mean"].as_f64().unwrap(), days);
    assert_eq!(s["stall_start_day_min"].as_f64().unwrap(), earliest);

    // --strict: every file written (the report too), then exit 1 naming the place.
    let strict = tmp.path().join("strict");
    let out = corridor()
        .arg("run")
        .arg(&scenario)
        .args(["--quiet", "--strict", "--out"])
        .arg(&strict)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--strict"), "{stderr}");
    assert!(stderr.contains("link a-b in 2030"), "{stderr}");
    for f in ["summary.csv", "summary.json", "files.json", "report.html"] {
        assert!(strict.join(f).is_file(), "{f} not written under --strict");
    }
    // The same tables either way.
    for f in ["summary.csv", "summary.json", "replications.csv"] {
        assert_eq!(
            fs::read(plain.join(f)).unwrap(),
            fs::read(strict.join(f)).unwrap(),
            "{f} differs with --strict"
        );
    }
    // The report's finding, from summary.csv alone: the mean start day as a date.
    let report = fs::read_to_string(strict.join("report.md")).unwrap();
    let (start_mean, _) = summary_mean_n(&summary, "stall_start_day", "link", "a-b");
    let finding = format!(
        "the link A → B in 2030 in 4 of 4 replications ({} days on average in those, \
         starting on average on day {}, {})",
        days.round(),
        start_mean.round(),
        corridor::output::plots::format::day_of_year(start_mean)
    );
    assert!(report.contains(&finding), "{finding} not in:\n{report}");
}

#[test]
fn a_run_without_stalls_prints_no_stall_block_and_passes_strict() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hub");
    let out = corridor()
        .args([
            "run",
            "scenarios/aktau-hub-2028.toml",
            "--reps",
            "2",
            "--quiet",
            "--strict",
            "--no-plots",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains("stall"), "{stdout}");
    let summary = fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert!(
        !summary.contains(",stall_days,"),
        "the scenario stalls after all"
    );
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["scenarios"][0]["stalls"], serde_json::json!([]));
}
