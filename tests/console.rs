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
}
