//! The bundled scenarios: each loads, builds and runs with TEU conserved, and the baseline
//! reproduces what was observed in 2024 (the calibration the scenario files cite).

use std::path::{Path, PathBuf};

use corridor::model::{Model, RunResult};
use corridor::scenario::{self, LoadedScenario};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn bundled() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("scenarios/ is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

fn load(name: &str) -> LoadedScenario {
    let path = scenarios_dir().join(format!("{name}.toml"));
    scenario::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Replications 0..n of a model; replication numbers are what the CLI would use, so these
/// are the same runs `corridor run --reps n` summarises.
fn runs(model: &Model, n: u64) -> Vec<RunResult> {
    (0..n).map(|r| model.run(r)).collect()
}

fn mean_of(runs: &[RunResult], year: i32, metric: &str, subject: &str) -> f64 {
    let values: Vec<f64> = runs
        .iter()
        .map(|r| {
            r.value_of(year, metric, subject)
                .unwrap_or_else(|| panic!("{metric} of {subject} in {year} was not recorded"))
        })
        .collect();
    values.iter().sum::<f64>() / values.len() as f64
}

fn assert_conserved(name: &str, r: &RunResult) {
    let c = &r.conservation;
    assert!(
        c.holds(),
        "{name} replication {}: created {} TEU, delivered {}, in system {} (imbalance {})",
        r.replication,
        c.created_teu,
        c.delivered_teu,
        c.in_system_total(),
        c.imbalance_teu()
    );
    assert!(c.created_teu > 0.0, "{name}: nothing was created");
    assert!(c.delivered_teu > 0.0, "{name}: nothing was delivered");
}

#[test]
fn every_bundled_scenario_loads_builds_and_conserves_teu() {
    let files = bundled();
    assert!(
        files.len() >= 7,
        "expected the seven bundled scenarios, found {files:?}"
    );
    for path in files {
        let loaded = scenario::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = loaded.file.run.name.clone();
        Model::build(&loaded.file).unwrap_or_else(|e| panic!("{name}: does not build: {e}"));

        // The 2040 scenarios take seconds per replication over their full horizon; three
        // reported years exercise the same code (warm-up, every node and link, the early
        // timeline) at a fraction of the cost. Later timeline changes simply never fire.
        let mut file = loaded.file.clone();
        let run = &mut file.run;
        run.last_year = run.last_year.min(run.first_year + 3);
        let model = Model::build(&file)
            .unwrap_or_else(|e| panic!("{name} (shortened): does not build: {e}"));
        let r = model.run(0);
        assert_conserved(&name, &r);
        let years: Vec<i32> = r
            .records
            .iter()
            .filter(|x| x.metric.name() == "delivered_teu" && x.subject == "corridor")
            .map(|x| x.year)
            .collect();
        assert_eq!(
            years,
            (file.run.first_year..=file.run.last_year).collect::<Vec<_>>(),
            "{name}: one corridor delivered_teu per reported year, warm-up excluded"
        );
    }
}

#[test]
fn baseline_reproduces_the_observed_2024_volumes() {
    let loaded = load("baseline-2025");
    let model = Model::build(&loaded.file).expect("baseline builds");
    let runs = runs(&model, 10);
    for r in &runs {
        assert_conserved("baseline-2025", r);
    }

    // 55,000 TEU carried Aktau → Baku in 2024 [source 14].
    let carried = mean_of(&runs, 2024, "carried_teu", "aktau-alat");
    // 76,775 TEU handled at Baku/Alat in 2024 [source 19].
    let handled = mean_of(&runs, 2024, "handled_teu", "alat");
    eprintln!(
        "baseline-2024: aktau-alat carried {carried:.0} TEU (observed 55,000), alat handled {handled:.0} TEU (observed 76,775)"
    );
    let within = |sim: f64, observed: f64| (sim / observed - 1.0).abs() <= 0.15;
    assert!(
        within(carried, 55_000.0),
        "Aktau→Alat carried {carried:.0} TEU in 2024, observed 55,000 (±15 %: 46,750–63,250)"
    );
    assert!(
        within(handled, 76_775.0),
        "Alat handled {handled:.0} TEU in 2024, observed 76,775 (±15 %: 65,259–88,291)"
    );
}

#[test]
fn aktau_hub_investments_at_least_double_aktau_throughput_by_2028() {
    let loaded = load("aktau-hub-2028");
    // 2029–2030 add nothing to this check; stopping at 2028 halves the cost.
    let mut file = loaded.file.clone();
    file.run.last_year = 2028;
    let model = Model::build(&file).expect("aktau-hub-2028 builds");
    let runs = runs(&model, 4);
    for r in &runs {
        assert_conserved("aktau-hub-2028", r);
    }
    let y2024 = mean_of(&runs, 2024, "handled_teu", "aktau");
    let y2028 = mean_of(&runs, 2028, "handled_teu", "aktau");
    eprintln!("aktau-hub-2028: Aktau handled {y2024:.0} TEU in 2024, {y2028:.0} in 2028");
    assert!(
        y2028 >= 2.0 * y2024,
        "Aktau handled {y2028:.0} TEU in 2028 vs {y2024:.0} in 2024 ({:.2}×): the hub does not bind",
        y2028 / y2024
    );
}
