//! Loading scenario files from disk: valid files load, and every class of bad input is
//! reported with the file, line, column and id-based path of the offending key, all at once,
//! without ever panicking.

use std::fs;
use std::path::{Path, PathBuf};

use corridor::scenario::{Diagnostic, ScenarioError, load, load_str};

/// A small but complete scenario. Line numbers matter: tests edit it by replacing lines.
const VALID: &str = r#"[run]
name = "small"
first_year = 2025
last_year = 2027
seed = 7
replications = 3
warmup_days = 60

[[nodes]]
id = "khorgos"
kind = "border"
cranes = 4
handling_minutes = { triangular = [2, 3, 6] }
dwell_hours = { lognormal = { mean = 12, sd = 6 } }

[[nodes]]
id = "aktau"
kind = "port"
cranes = 3
handling_minutes = { exponential = { mean = 4 } }
berths = 2
vessel_handling_hours = { uniform = [6, 10] }
yard_capacity_teu = 5000

[[nodes]]
id = "alat"
kind = "port"
berths = 1
vessel_handling_hours = { constant = 8 }

[[links]]
id = "khorgos-aktau"
from = "khorgos"
to = "aktau"
mode = "rail"
distance_km = 2400
rail = { train_capacity_teu = 82, max_wait_hours = 48, speed_km_per_day = { triangular = [600, 800, 900] } }

[[links]]
id = "aktau-alat"
from = "aktau"
to = "alat"
mode = "sea"

[links.sea]
sailing_hours = { triangular = [18, 22, 36] }
load_cap_share = 0.8

[[links.sea.fleet]]
class = "feeder-350"
capacity_teu = 350
count = 2

[links.sea.storms]
events_per_year = 6
duration_hours = { exponential = { mean = 30 } }

[[routes]]
id = "main"
nodes = ["khorgos", "aktau", "alat"]

[[flows]]
id = "china-europe"
routes = [{ route = "main", share = 1.0 }]
teu_per_year = { "2025" = 20000, "2027" = 30000 }
share_40ft = 0.8

[[timeline]]
id = "aktau-cranes"
date = 2026-01-01
set = { "nodes.aktau.cranes" = 5 }
capex_eur = 12e6

[[disruptions]]
id = "khorgos-closure"
subject = "nodes.khorgos"
start = 2026-03-01
duration_hours = { constant = 72 }

[[targets]]
id = "delivered-2027"
metric = "delivered_teu"
year = 2027
threshold = 25000
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// Line (1-based) of the first line of VALID that contains `needle` (after `from`).
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` not in text"))
}

fn replace(text: &str, old: &str, new: &str) -> String {
    assert!(text.contains(old), "`{old}` not in text");
    text.replacen(old, new, 1)
}

fn diags(r: Result<corridor::scenario::LoadedScenario, ScenarioError>) -> Vec<Diagnostic> {
    match r {
        Ok(s) => panic!("expected errors, loaded {}", s.file.run.name),
        Err(ScenarioError::Invalid(d)) => {
            assert!(!d.is_empty());
            d
        }
        Err(e) => panic!("expected diagnostics, got {e}"),
    }
}

fn load_text(text: &str) -> Vec<Diagnostic> {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "s.toml", text);
    diags(load(&p))
}

/// The diagnostic at `path`, or a panic listing all of them.
fn at<'a>(d: &'a [Diagnostic], path: &str) -> &'a Diagnostic {
    d.iter()
        .find(|x| x.path == path)
        .unwrap_or_else(|| panic!("no diagnostic at `{path}`; got:\n{}", render(d)))
}

fn render(d: &[Diagnostic]) -> String {
    d.iter().map(|x| format!("{x}\n")).collect()
}

#[test]
fn valid_scenario_loads() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "s.toml", VALID);
    let s = match load(&p) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(s.file.run.name, "small");
    assert_eq!(s.file.nodes.len(), 3);
    assert_eq!(s.file.links[1].sea.as_ref().unwrap().fleet[0].count, 2);
    assert_eq!(s.file.timeline[0].date.to_string(), "2026-01-01");
    assert_eq!(s.sources, vec![p.clone()]);
    assert_eq!(s.hash.len(), 16);
    // Same bytes, same hash; load_str agrees with load.
    let again = load_str(VALID, &p).unwrap();
    assert_eq!(again.hash, s.hash);
    assert_eq!(again.file, s.file);
    let other = load_str(&VALID.replace("seed = 7", "seed = 8"), &p).unwrap();
    assert_ne!(other.hash, s.hash);
}
