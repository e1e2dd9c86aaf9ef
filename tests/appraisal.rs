//! `corridor appraise` as a user runs it: every named investment measured paired on one
//! seed, leave one out and add one, into `appraisal.csv` (docs/appraisal.md).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn corridor(args: &[&str]) -> Output {
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
    c.args(args).output().expect("the corridor binary starts")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One busy crane at `a` (utilization about 0.76); investment `cranes` adds a second one,
/// investment `nothing` sets a parameter to the value it already has.
const SCENARIO: &str = r#"
[run]
name = "appr"
first_year = 2025
last_year = 2026
seed = 3
replications = 4

[[nodes]]
id = "a"
cranes = 1
handling_minutes = { exponential = { mean = 50 } }

[[nodes]]
id = "b"

[[links]]
id = "a-b"
from = "a"
to = "b"
mode = "rail"
rail = { train_capacity_teu = 40, extra_hours = { constant = 10 } }

[[routes]]
id = "main"
nodes = ["a", "b"]

[[flows]]
id = "f"
routes = [{ route = "main", share = 1.0 }]
teu_per_year = { "2025" = 8000 }

[[timeline]]
id = "second-crane"
investment = "cranes"
date = 2025-01-01
set = { "nodes.a.cranes" = 2 }

[[timeline]]
id = "no-op"
investment = "nothing"
date = 2025-01-01
set = { "nodes.a.dwell_scale" = 1 }

[[investments]]
id = "cranes"
capex_eur = 1e6
life_years = 2

[[investments]]
id = "nothing"
capex_eur = { "2025" = 1e6 }
life_years = 2

[appraisal]
value_of_time_eur_per_teu_day = 100
"#;

fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn an_investment_that_changes_nothing_costs_its_capex_and_a_crane_pays() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("appr.toml");
    fs::write(&file, SCENARIO).unwrap();
    let out = dir.path().join("out");
    let o = corridor(&[
        "appraise",
        file.to_str().unwrap(),
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("appraisal of 2 investments, 4 paired replications"),
        "{stdout}"
    );
    let table = rows(&out.join("appraisal.csv"));
    assert_eq!(table.len(), 4, "two investments, two ways each");
    let get = |inv: &str, way: &str| {
        table
            .iter()
            .find(|r| r["investment"] == inv && r["way"] == way)
            .unwrap_or_else(|| panic!("no row {inv} {way}"))
    };
    for way in ["leave_one_out", "add_one"] {
        // Same seed, no effective change: the paired runs are identical, so exactly nothing
        // is gained and the NPV is minus the capex (spent in the base year, undiscounted).
        let none = get("nothing", way);
        assert_eq!(none["teu_gained"], "0", "{none:?}");
        assert_eq!(none["npv_eur"], "-1000000", "{none:?}");
        assert_eq!(none["npv_ci95_low"], "-1000000", "no spread: {none:?}");
        assert_eq!(none["p_npv_positive"], "0");
        assert_eq!(none["irr_n"], "0", "no sign change, no IRR");
        // The second crane cuts the queue at `a`: time saved, a benefit.
        let c = get("cranes", way);
        let saved: f64 = c["days_saved_last_year"].parse().unwrap();
        let npv: f64 = c["npv_eur"].parse().unwrap();
        assert!(saved > 0.0, "{c:?}");
        assert!(npv > -1e6, "{c:?}");
    }
    // Ranked by NPV within each way: the crane first.
    assert_eq!(table[0]["investment"], "cranes");
    assert_eq!(table[0]["way"], "leave_one_out");

    // The report says in words which buys most per euro, with the interval, and every
    // figure it quotes is a cell of appraisal.csv; the chart is drawn and shown.
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    let c = get("cranes", "leave_one_out");
    let two = |k: &str| format!("{:.2}", c[k].parse::<f64>().unwrap());
    let per_euro = format!(
        "Per euro, cranes buys most: a benefit–cost ratio of {} (95% interval {} to {})",
        two("bcr"),
        two("bcr_ci95_low"),
        two("bcr_ci95_high")
    );
    assert!(report.contains(&per_euro), "{per_euro}\n{report}");
    let npv_m = |k: &str| format!("{:.2}", c[k].parse::<f64>().unwrap().abs() / 1e6);
    let best = format!(
        "the best, cranes, has an NPV of −€{} m (95% interval −€{} m to −€{} m)",
        npv_m("npv_eur"),
        npv_m("npv_ci95_low"),
        npv_m("npv_ci95_high")
    );
    assert!(report.contains(&best), "{best}\n{report}");
    assert!(report.contains("with the whole interval below zero: cranes"));
    assert!(report.contains("![What each investment buys](plots/appraisal.png)"));
    assert!(out.join("plots/appraisal.png").is_file());

    // Year by year: the do-nothing investment changes nothing in any year, and the
    // crane's yearly TEU gained add up to its total in appraisal.csv.
    let years = rows(&out.join("appraisal_years.csv"));
    assert_eq!(years.len(), 8, "two investments, two ways, two years");
    for y in years.iter().filter(|r| r["investment"] == "nothing") {
        for q in [
            "teu_gained",
            "diverted_teu_avoided",
            "days_saved_per_teu",
            "benefit_eur",
        ] {
            assert_eq!(y[q], "0", "{q}: {y:?}");
        }
    }
    let sum: f64 = years
        .iter()
        .filter(|r| r["investment"] == "cranes" && r["way"] == "leave_one_out")
        .map(|r| r["teu_gained"].parse::<f64>().unwrap())
        .sum();
    let total: f64 = c["teu_gained"].parse().unwrap();
    assert!((sum - total).abs() < 1e-6, "{sum} vs {total}");
}

#[test]
fn a_scenario_without_investments_is_bad_input() {
    let o = corridor(&[
        "appraise",
        "scenarios/baseline-2025.toml",
        "-q",
        "--reps",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no [[investments]] to appraise"),
        "{}",
        text(&o.stderr)
    );
}

/// Sharded: the shards' folders merged, then `appraise --resume` on the merged folder
/// computes the same table as one unsharded run, without running anything again.
#[test]
fn shards_merged_then_resumed_give_the_same_appraisal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("appr.toml");
    fs::write(&file, SCENARIO).unwrap();
    let f = file.to_str().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let ok = |o: Output| assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    ok(corridor(&["appraise", f, "-q", "--out", &p("one")]));
    ok(corridor(&[
        "appraise",
        f,
        "-q",
        "--shard",
        "0/2",
        "--out",
        &p("s0"),
    ]));
    ok(corridor(&[
        "appraise",
        f,
        "-q",
        "--shard",
        "1/2",
        "--out",
        &p("s1"),
    ]));
    assert!(
        !dir.path().join("s0/appraisal.csv").exists(),
        "a shard cannot pair yet"
    );
    ok(corridor(&[
        "merge",
        &p("s0"),
        &p("s1"),
        "--out",
        &p("m"),
        "--no-plots",
    ]));
    ok(corridor(&[
        "appraise",
        f,
        "-q",
        "--out",
        &p("m"),
        "--resume",
    ]));
    assert_eq!(
        fs::read(dir.path().join("m/appraisal.csv")).unwrap(),
        fs::read(dir.path().join("one/appraisal.csv")).unwrap()
    );
}

/// `corridor margins` on the baseline: what binds in 2024 (the largest
/// `*_binding_teu_hours` of the scenario itself) is the capacity whose next unit ranks
/// first, paired on one seed: the finding and the experiment agree.
#[test]
fn margins_rank_first_the_capacity_the_model_says_binds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    let o = corridor(&[
        "margins",
        "scenarios/baseline-2025.toml",
        "--year",
        "2024",
        "--reps",
        "6",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let ranked = rows(&out.join("margins.csv"));
    assert!(
        ranked.len() >= 15,
        "every capacity of the baseline: {}",
        ranked.len()
    );
    let first = &ranked[0];
    let binding = rows(&out.join("summary.csv"))
        .into_iter()
        .filter(|r| {
            r["scenario"] == "baseline-2025"
                && r["year"] == "2024"
                && r["metric"].ends_with("_binding_teu_hours")
        })
        .max_by(|a, b| {
            let m = |r: &BTreeMap<String, String>| r["mean"].parse::<f64>().unwrap();
            m(a).total_cmp(&m(b))
        })
        .expect("binding metrics");
    let capacity = match binding["metric"].as_str() {
        "berth_binding_teu_hours" => format!("nodes.{}.berths", binding["subject"]),
        "crane_binding_teu_hours" => format!("nodes.{}.cranes", binding["subject"]),
        other => panic!("unexpected binding metric {other}"),
    };
    assert_eq!(first["capacity"], capacity, "{ranked:?}");
    // Its gain is real: the interval of days saved excludes zero.
    assert!(
        first["days_saved_ci95_low"].parse::<f64>().unwrap() > 0.0,
        "{first:?}"
    );
    assert!(text(&o.stdout).contains("ranked by transit days saved"));
    // The report says it in words, from the same two tables.
    let report = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains(&format!(
            "Ranked first in 2024: one more unit (+1) of {capacity}:"
        )),
        "{report}"
    );
    assert!(
        report.contains("the named bottleneck and the paired margin agree"),
        "{report}"
    );
}
