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
vessel_call_hours = { uniform = [6, 10] }
yard_capacity_teu = 5000

[[nodes]]
id = "alat"
kind = "port"
berths = 1
vessel_call_hours = { constant = 8 }

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

/// Asserts a diagnostic at `path`, on the line of `needle` in `text`, at `column`, whose
/// message contains `msg`.
fn expect(d: &[Diagnostic], text: &str, path: &str, needle: &str, column: usize, msg: &str) {
    let x = at(d, path);
    assert_eq!(x.line, line_of(text, needle), "line of {x}");
    assert_eq!(x.column, column, "column of {x}");
    assert!(x.message.contains(msg), "message of {x} lacks `{msg}`");
}

#[test]
fn unknown_key_suggests_the_closest_known_key() {
    let t = replace(VALID, "cranes = 4", "cranez = 4");
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "nodes.khorgos.cranez",
        "cranez = 4",
        1,
        "unknown key `cranez`",
    );
    assert_eq!(
        at(&d, "nodes.khorgos.cranez").hint.as_deref(),
        Some("did you mean `cranes`?")
    );
    assert_eq!(d.len(), 1, "{}", render(&d));
}

#[test]
fn unknown_keys_everywhere_are_all_reported() {
    let t = replace(VALID, "seed = 7", "sead = 7");
    let t = replace(
        &t,
        "[[links.sea.fleet]]",
        "[[links.sea.fleet]]\ncapacity = 1",
    );
    let t = replace(
        &t,
        "{ exponential = { mean = 30 } }",
        "{ exponential = { mean = 30, sd = 3 } }",
    );
    let t = replace(
        &t,
        "load_cap_share = 0.8",
        "load_cap_share = 0.8\nstorm = 1",
    );
    let t = replace(&t, "share = 1.0 }", "share = 1.0, rout = 1 }");
    let t = format!("colour = \"red\"\n{t}");
    let d = load_text(&t);
    expect(&d, &t, "colour", "colour", 1, "unknown key `colour`");
    expect(&d, &t, "run.sead", "sead = 7", 1, "unknown key");
    assert_eq!(
        at(&d, "run.sead").hint.as_deref(),
        Some("did you mean `seed`?")
    );
    expect(
        &d,
        &t,
        "links.aktau-alat.sea.fleet.feeder-350.capacity",
        "capacity = 1",
        1,
        "unknown key",
    );
    assert_eq!(
        at(&d, "links.aktau-alat.sea.fleet.feeder-350.capacity")
            .hint
            .as_deref(),
        Some("did you mean `capacity_teu`?")
    );
    let sd = at(
        &d,
        "links.aktau-alat.sea.storms.duration_hours.exponential.sd",
    );
    assert_eq!(sd.line, line_of(&t, "mean = 30, sd = 3"));
    assert!(
        sd.hint
            .as_deref()
            .unwrap_or("")
            .contains("known keys here: mean, rate"),
        "{sd}"
    );
    assert_eq!(
        at(&d, "links.aktau-alat.sea.storm").hint.as_deref(),
        Some("did you mean `storms`?")
    );
    assert_eq!(
        at(&d, "flows.china-europe.routes[0].rout").hint.as_deref(),
        Some("did you mean `route`?")
    );
    assert_eq!(d.len(), 6, "{}", render(&d));
}

#[test]
fn type_errors_point_at_the_key_with_an_id_path() {
    let t = replace(VALID, "count = 2", "count = -2");
    let t = replace(&t, "cranes = 3", "cranes = \"three\"");
    let t = replace(&t, "{ triangular = [2, 3, 6] }", "{ triangle = [2, 3, 6] }");
    let t = replace(&t, "date = 2026-01-01", "date = 2026-01-01T10:00:00");
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "links.aktau-alat.sea.fleet.feeder-350.count",
        "count = -2",
        1,
        "-2",
    );
    expect(
        &d,
        &t,
        "nodes.aktau.cranes",
        "cranes = \"three\"",
        1,
        "invalid type: string",
    );
    expect(
        &d,
        &t,
        "nodes.khorgos.handling_minutes",
        "triangle",
        1,
        "unknown variant `triangle`",
    );
    assert_eq!(
        at(&d, "nodes.khorgos.handling_minutes").hint.as_deref(),
        Some("did you mean `triangular`?")
    );
    expect(
        &d,
        &t,
        "timeline.aktau-cranes.date",
        "date = 2026",
        1,
        "expected a date like 2028-01-01",
    );
    assert_eq!(d.len(), 4, "{}", render(&d));
}

#[test]
fn missing_fields_and_sections() {
    let t = replace(VALID, "id = \"alat\"\n", "");
    let t = replace(&t, "name = \"small\"\n", "");
    let d = load_text(&t);
    expect(&d, &t, "run", "[run]", 1, "missing field `name`");
    // The node has no id, so it is named by its index and located at its header.
    let n = at(&d, "nodes[2]");
    assert!(n.message.contains("missing field `id`"), "{n}");
    assert_eq!(n.line, line_of(&t, "berths = 1") - 2);

    let no_run = VALID.replace("[run]", "[runs]");
    let d = load_text(&no_run);
    expect(&d, &no_run, "runs", "[runs]", 1, "unknown key `runs`");
    let m = at(&d, "run");
    assert_eq!((m.line, m.column), (1, 1));
    assert!(m.message.contains("missing [run]"));

    let t = replace(VALID, "[[targets]]", "[targets]");
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "targets",
        "[targets]",
        1,
        "must be an array of tables",
    );
}

#[test]
fn run_section_ranges() {
    let t = replace(VALID, "first_year = 2025", "first_year = 2028");
    let t = replace(&t, "replications = 3", "replications = 100001");
    let t = replace(&t, "warmup_days = 60", "warmup_days = -1");
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "run.last_year",
        "last_year",
        1,
        "before first_year 2028",
    );
    expect(
        &d,
        &t,
        "run.replications",
        "replications",
        1,
        "between 1 and 100000",
    );
    expect(
        &d,
        &t,
        "run.warmup_days",
        "warmup_days",
        1,
        "between 0 and 3650",
    );

    let t = replace(VALID, "first_year = 2025", "first_year = 1890");
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "run.first_year",
        "first_year",
        1,
        "outside 1900..=2200",
    );
    let t = replace(VALID, "last_year = 2027", "last_year = 2125");
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "run.last_year",
        "last_year",
        1,
        "more than the limit of 100",
    );
    let t = replace(VALID, "warmup_days = 60", "warmup_days = nan");
    let d = load_text(&t);
    expect(&d, &t, "run.warmup_days", "warmup_days", 1, "finite");
}

#[test]
fn duplicate_ids_point_at_the_second_entry() {
    let t = VALID.replace("id = \"alat\"", "id = \"aktau\"");
    let d = load_text(&t);
    let x = at(&d, "nodes[2].id");
    assert!(x.message.contains("duplicate id `aktau`"), "{x}");
    assert_eq!(
        (x.line, x.column),
        (26, 1),
        "the `id` key of the third node"
    );
    let t = replace(
        VALID,
        "[links.sea.storms]",
        "[[links.sea.fleet]]\nclass = \"feeder-350\"\ncapacity_teu = 1\ncount = 1\n\n[links.sea.storms]",
    );
    let d = load_text(&t);
    let x = at(&d, "links.aktau-alat.sea.fleet[1].class");
    assert!(x.message.contains("duplicate class"), "{x}");
    assert_eq!(x.line, line_of(&t, "capacity_teu = 1") - 1);
}

#[test]
fn node_rules() {
    let t = replace(
        VALID,
        "handling_minutes = { exponential = { mean = 4 } }\n",
        "",
    );
    let t = replace(
        &t,
        "dwell_hours = { lognormal = { mean = 12, sd = 6 } }",
        "dwell_hours = { uniform = [-2, 6] }",
    );
    let t = replace(
        &t,
        "yard_capacity_teu = 5000",
        "yard_capacity_teu = 0\nlat = 95\nlon = -200\nhandling_scale = -1",
    );
    let t = replace(&t, "berths = 1\n", "");
    let t = replace(
        &t,
        "vessel_call_hours = { constant = 8 }",
        "dwell_scale = inf",
    );
    let d = load_text(&t);
    // Missing handling_minutes: pointed at the node's header.
    let x = at(&d, "nodes.aktau.handling_minutes");
    assert_eq!(
        (x.line, x.column),
        (line_of(&t, "id = \"aktau\"") - 1, 1),
        "{x}"
    );
    assert!(x.message.contains("required when cranes > 0"));
    expect(
        &d,
        &t,
        "nodes.khorgos.dwell_hours",
        "dwell_hours",
        1,
        "goes down to -2",
    );
    expect(
        &d,
        &t,
        "nodes.aktau.yard_capacity_teu",
        "yard_capacity_teu",
        1,
        "must be > 0",
    );
    expect(
        &d,
        &t,
        "nodes.aktau.lat",
        "lat = 95",
        1,
        "between -90 and 90",
    );
    expect(
        &d,
        &t,
        "nodes.aktau.lon",
        "lon = -200",
        1,
        "between -180 and 180",
    );
    expect(
        &d,
        &t,
        "nodes.aktau.handling_scale",
        "handling_scale",
        1,
        ">= 0",
    );
    expect(&d, &t, "nodes.alat.dwell_scale", "dwell_scale", 1, "finite");
    assert!(
        at(&d, "nodes.alat.berths")
            .message
            .contains("sea link `aktau-alat`")
    );
    assert!(
        at(&d, "nodes.alat.vessel_call_hours")
            .message
            .contains("missing vessel_call_hours")
    );

    let t = replace(
        VALID,
        "{ triangular = [2, 3, 6] }",
        "{ triangular = [2, 9, 6] }",
    );
    let t = replace(
        &t,
        "{ exponential = { mean = 4 } }",
        "{ exponential = { mean = 0 } }",
    );
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "nodes.khorgos.handling_minutes",
        "triangular",
        1,
        "triangular distribution: mode",
    );
    expect(
        &d,
        &t,
        "nodes.aktau.handling_minutes",
        "exponential",
        1,
        "exponential distribution: mean must be > 0",
    );
}

#[test]
fn link_rules() {
    let t = replace(VALID, "to = \"aktau\"", "to = \"aktua\"");
    let t = replace(&t, "to = \"alat\"", "to = \"aktau\"");
    let d = load_text(&t);
    let x = at(&d, "links.khorgos-aktau.to");
    assert_eq!(x.line, line_of(&t, "to = \"aktua\""));
    assert_eq!(x.hint.as_deref(), Some("did you mean `aktau`?"));
    expect(
        &d,
        &t,
        "links.aktau-alat.to",
        "to = \"aktau\"",
        1,
        "to itself",
    );

    // Mode and table mismatch both ways; distance.
    let t = replace(VALID, "mode = \"rail\"", "mode = \"sea\"");
    let t = replace(&t, "distance_km = 2400", "distance_km = 0");
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "links.khorgos-aktau.rail",
        "rail = {",
        1,
        "not [links.rail]",
    );
    expect(
        &d,
        &t,
        "links.khorgos-aktau.sea",
        "[[links]]",
        1,
        "missing sea table",
    );
    expect(
        &d,
        &t,
        "links.khorgos-aktau.distance_km",
        "distance_km",
        1,
        "must be > 0",
    );
    let t = replace(VALID, "mode = \"sea\"", "mode = \"rail\"");
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "links.aktau-alat.sea",
        "[links.sea]",
        1,
        "not [links.sea]",
    );
    let x = at(&d, "links.aktau-alat.rail");
    assert_eq!(
        (x.line, x.column),
        (line_of(&t, "id = \"aktau-alat\"") - 1, 1),
        "{x}"
    );
    assert!(x.message.contains("missing rail table"));
}

#[test]
fn rail_rules() {
    let t = replace(
        VALID,
        "rail = { train_capacity_teu = 82, max_wait_hours = 48, speed_km_per_day = { triangular = [600, 800, 900] } }",
        "rail = { train_capacity_teu = 20000, max_wait_hours = -1, timetable_hours = 0, paths_per_day = 0, speed_km_per_day = { exponential = { mean = 800 } } }",
    );
    let d = load_text(&t);
    for (p, msg) in [
        ("train_capacity_teu", "<= 10000"),
        ("max_wait_hours", ">= 0"),
        ("timetable_hours", "> 0"),
        ("paths_per_day", "> 0"),
        ("speed_km_per_day", "speed must stay above 0"),
    ] {
        let path = format!("links.khorgos-aktau.rail.{p}");
        let x = at(&d, &path);
        assert_eq!(x.line, line_of(&t, "rail = {"), "{x}");
        assert!(x.message.contains(msg), "{x}");
        let col = t.lines().nth(x.line - 1).unwrap().find(p).unwrap() + 1;
        assert_eq!(x.column, col, "{x}");
    }
    let t = replace(
        VALID,
        "rail = { train_capacity_teu = 82, max_wait_hours = 48, speed_km_per_day = { triangular = [600, 800, 900] } }",
        "rail = { train_capacity_teu = 82 }",
    );
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "links.khorgos-aktau.rail",
        "rail = {",
        1,
        "no travel time",
    );
    let t = replace(VALID, "distance_km = 2400\n", "");
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "links.khorgos-aktau.rail.speed_km_per_day",
        "rail = {",
        56,
        "needs the link's distance_km",
    );
}

#[test]
fn sea_rules() {
    let t = replace(
        VALID,
        "load_cap_share = 0.8",
        "load_cap_share = 0\nmin_load_share = 1.5\nmax_wait_hours = -3",
    );
    let t = replace(
        &t,
        "capacity_teu = 350\ncount = 2",
        "capacity_teu = 200000\ncount = 0",
    );
    let t = replace(
        &t,
        "events_per_year = 6",
        "events_per_year = 400\nmonthly_weights = [1, 2, 3]",
    );
    let t = replace(
        &t,
        "{ triangular = [18, 22, 36] }",
        "{ triangular = [-1, 22, 36] }",
    );
    let d = load_text(&t);
    let sea = "links.aktau-alat.sea";
    expect(
        &d,
        &t,
        &format!("{sea}.load_cap_share"),
        "load_cap_share",
        1,
        "> 0 and <= 1",
    );
    expect(
        &d,
        &t,
        &format!("{sea}.min_load_share"),
        "min_load_share",
        1,
        "between 0 and 1",
    );
    expect(
        &d,
        &t,
        &format!("{sea}.max_wait_hours"),
        "max_wait_hours = -3",
        1,
        ">= 0",
    );
    expect(
        &d,
        &t,
        &format!("{sea}.fleet.feeder-350.capacity_teu"),
        "capacity_teu = 200000",
        1,
        "<= 100000",
    );
    expect(
        &d,
        &t,
        &format!("{sea}.fleet"),
        "[[links.sea.fleet]]",
        1,
        "every count is 0",
    );
    expect(
        &d,
        &t,
        &format!("{sea}.storms.events_per_year"),
        "events_per_year = 400",
        1,
        "between 0 and 365",
    );
    expect(
        &d,
        &t,
        &format!("{sea}.storms.monthly_weights"),
        "monthly_weights",
        1,
        "exactly 12 values",
    );
    expect(
        &d,
        &t,
        &format!("{sea}.sailing_hours"),
        "sailing_hours",
        1,
        "goes down to -1",
    );

    let t = replace(
        VALID,
        "[[links.sea.fleet]]\nclass = \"feeder-350\"\ncapacity_teu = 350\ncount = 2\n",
        "",
    );
    let t = replace(&t, "[links.sea]", "[links.sea]\nfleet = []");
    let t = replace(
        &t,
        "events_per_year = 6",
        "events_per_year = 6\nmonthly_weights = [0,0,0,0,0,0,0,0,0,0,0,-1]",
    );
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "links.aktau-alat.sea.fleet",
        "fleet = []",
        1,
        "at least one vessel class",
    );
    expect(
        &d,
        &t,
        "links.aktau-alat.sea.storms.monthly_weights[11]",
        "monthly_weights",
        42,
        ">= 0",
    );
}

#[test]
fn route_rules() {
    let t = replace(
        VALID,
        "nodes = [\"khorgos\", \"aktau\", \"alat\"]",
        "nodes = [\"khorgos\", \"aktu\", \"alat\", \"khorgos\"]",
    );
    let d = load_text(&t);
    let x = at(&d, "routes.main.nodes[1]");
    assert_eq!((x.line, x.column), (line_of(&t, "\"aktu\""), 21));
    assert_eq!(x.hint.as_deref(), Some("did you mean `aktau`?"));
    expect(
        &d,
        &t,
        "routes.main.nodes[3]",
        "\"aktu\"",
        37,
        "appears twice",
    );

    let t = replace(
        VALID,
        "nodes = [\"khorgos\", \"aktau\", \"alat\"]",
        "nodes = [\"khorgos\", \"alat\", \"aktau\"]",
    );
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "routes.main.nodes[1]",
        "nodes = [\"khorgos\"",
        21,
        "no link from `khorgos` to `alat`",
    );
    assert!(
        at(&d, "routes.main.nodes[2]")
            .hint
            .as_deref()
            .unwrap()
            .contains("one-way")
    );

    let t = replace(
        VALID,
        "nodes = [\"khorgos\", \"aktau\", \"alat\"]",
        "nodes = [\"khorgos\"]",
    );
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "routes.main.nodes",
        "nodes = [\"khorgos\"]",
        1,
        "at least 2 nodes",
    );

    let t = replace(
        VALID,
        "nodes = [\"khorgos\", \"aktau\", \"alat\"]",
        "nodes = [\"khorgos\", \"aktau\", \"alat\"]\nlinks = [\"aktau-alat\", \"aktau-alt\"]",
    );
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "routes.main.links[0]",
        "links = [",
        10,
        "joins `aktau` to `alat`, but leg 0",
    );
    assert_eq!(
        at(&d, "routes.main.links[1]").hint.as_deref(),
        Some("did you mean `aktau-alat`?")
    );
    let t = replace(
        VALID,
        "nodes = [\"khorgos\", \"aktau\", \"alat\"]",
        "nodes = [\"khorgos\", \"aktau\", \"alat\"]\nlinks = [\"khorgos-aktau\"]",
    );
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "routes.main.links",
        "links = [",
        1,
        "2 legs, got 1 links",
    );
}

#[test]
fn flow_rules() {
    let t = replace(
        VALID,
        "routes = [{ route = \"main\", share = 1.0 }]",
        "routes = [{ route = \"mian\", share = 0.5 }, { route = \"main\", share = 0.4 }]",
    );
    let d = load_text(&t);
    let x = at(&d, "flows.china-europe.routes[0].route");
    assert_eq!(x.hint.as_deref(), Some("did you mean `main`?"));
    expect(
        &d,
        &t,
        "flows.china-europe.routes",
        "routes = [{",
        1,
        "sum to 0.9",
    );

    let t = replace(
        VALID,
        "teu_per_year = { \"2025\" = 20000, \"2027\" = 30000 }",
        "teu_per_year = { \"2025\" = 2e9, \"20x7\" = 30000 }\nseasonality = [1, 1]\nshare_40ft = 1.5\narrivals = \"block_trains\"",
    );
    let t = replace(&t, "share_40ft = 0.8\n", "");
    let d = load_text(&t);
    let f = "flows.china-europe";
    expect(
        &d,
        &t,
        &format!("{f}.teu_per_year.2025"),
        "teu_per_year",
        18,
        "100000000 TEU per year",
    );
    expect(
        &d,
        &t,
        &format!("{f}.teu_per_year.20x7"),
        "teu_per_year",
        32,
        "not a year",
    );
    expect(
        &d,
        &t,
        &format!("{f}.seasonality"),
        "seasonality",
        1,
        "exactly 12",
    );
    expect(
        &d,
        &t,
        &format!("{f}.share_40ft"),
        "share_40ft",
        1,
        "between 0 and 1",
    );
    let x = at(&d, &format!("{f}.block_train_teu"));
    assert_eq!(x.line, line_of(&t, "id = \"china-europe\"") - 1, "{x}");
    assert!(x.message.contains("missing block_train_teu"));

    // Two routes from different origins.
    let t = replace(
        VALID,
        "[[flows]]",
        "[[routes]]\nid = \"sea-only\"\nnodes = [\"aktau\", \"alat\"]\n\n[[flows]]",
    );
    let t = replace(
        &t,
        "routes = [{ route = \"main\", share = 1.0 }]",
        "routes = [{ route = \"main\", share = 0.5 }, { route = \"sea-only\", share = 0.5 }]",
    );
    let t = replace(
        &t,
        "teu_per_year = { \"2025\" = 20000, \"2027\" = 30000 }",
        "teu_per_year = {}",
    );
    let d = load_text(&t);
    let x = at(&d, "flows.china-europe.routes[1].route");
    assert!(x.message.contains("starts at `aktau`"), "{x}");
    expect(
        &d,
        &t,
        "flows.china-europe.teu_per_year",
        "teu_per_year = {}",
        1,
        "at least one year",
    );
}

#[test]
fn timeline_disruption_target_rules() {
    let t = replace(
        VALID,
        "set = { \"nodes.aktau.cranes\" = 5 }",
        "set = { \"nodes.aktu.cranes\" = 5, \"nodes.aktau.crane\" = 2, \"links.khorgos-aktau.rail.paths_per_day\" = -1 }",
    );
    let t = replace(&t, "date = 2026-01-01", "date = \"2031-01-01\"");
    let t = replace(&t, "capex_eur = 12e6", "capex_eur = -5");
    let t = replace(
        &t,
        "subject = \"nodes.khorgos\"",
        "subject = \"links.khorgos-aktua\"\nevents_per_year = 2",
    );
    let t = replace(
        &t,
        "metric = \"delivered_teu\"",
        "metric = \"delivered\"\nsubject = \"aktua\"",
    );
    let t = replace(&t, "\nyear = 2027", "\nyear = 2024\nthreshold = nan");
    let t = replace(&t, "threshold = 25000\n", "");
    let d = load_text(&t);
    let c = "timeline.aktau-cranes";
    let x = at(&d, &format!("{c}.set.nodes.aktu.cranes"));
    assert_eq!((x.line, x.column), (line_of(&t, "set = {"), 9));
    assert_eq!(x.hint.as_deref(), Some("did you mean `aktau`?"));
    assert!(
        at(&d, &format!("{c}.set.nodes.aktau.crane"))
            .hint
            .as_deref()
            .unwrap()
            .contains("`cranes`")
    );
    assert!(
        at(
            &d,
            &format!("{c}.set.links.khorgos-aktau.rail.paths_per_day")
        )
        .message
        .contains("> 0")
    );
    expect(
        &d,
        &t,
        &format!("{c}.date"),
        "date = ",
        1,
        "outside the horizon 2025..=2027",
    );
    expect(&d, &t, &format!("{c}.capex_eur"), "capex_eur", 1, ">= 0");
    let r = "disruptions.khorgos-closure";
    let x = at(&d, r);
    assert_eq!(x.line, line_of(&t, "id = \"khorgos-closure\"") - 1, "{x}");
    assert!(x.message.contains("not both"));
    let x = at(&d, &format!("{r}.subject"));
    assert_eq!(x.hint.as_deref(), Some("did you mean `khorgos-aktau`?"));
    let g = "targets.delivered-2027";
    assert_eq!(
        at(&d, &format!("{g}.metric")).hint.as_deref(),
        Some("did you mean `delivered_teu`?")
    );
    assert_eq!(
        at(&d, &format!("{g}.subject")).hint.as_deref(),
        Some("did you mean `aktau`?")
    );
    expect(
        &d,
        &t,
        &format!("{g}.year"),
        "year = 2024",
        1,
        "outside the horizon",
    );
    expect(
        &d,
        &t,
        &format!("{g}.threshold"),
        "threshold = nan",
        1,
        "finite",
    );

    let t = replace(VALID, "start = 2026-03-01\n", "events_per_year = 0\n");
    let t = replace(&t, "subject = \"nodes.khorgos\"", "subject = \"khorgos\"");
    let d = load_text(&t);
    expect(
        &d,
        &t,
        "disruptions.khorgos-closure.events_per_year",
        "events_per_year = 0",
        1,
        "> 0 and <= 365",
    );
    expect(
        &d,
        &t,
        "disruptions.khorgos-closure.subject",
        "subject = \"khorgos\"",
        1,
        "not a closable subject",
    );

    // Changes the model could not act on.
    let t = replace(
        VALID,
        "set = { \"nodes.aktau.cranes\" = 5 }",
        "set = { \"nodes.alat.cranes\" = 5, \"links.aktau-alat.sea.storms.events_per_year\" = 3 }",
    );
    let t = replace(
        &t,
        "[links.sea.storms]\nevents_per_year = 6\nduration_hours = { exponential = { mean = 30 } }\n",
        "",
    );
    let d = load_text(&t);
    // `alat` has no handling step (cranes = 0): a change cannot give it one (issue 16:
    // the model silently ignored such a change).
    assert!(
        at(&d, "timeline.aktau-cranes.set.nodes.alat.cranes")
            .message
            .contains("no handling step")
    );
    // And a change cannot set a handling node's cranes to 0 (the model stopped it for good).
    let t0 = replace(
        VALID,
        "set = { \"nodes.aktau.cranes\" = 5 }",
        "set = { \"nodes.aktau.cranes\" = 0 }",
    );
    let d0 = load_text(&t0);
    let e = at(&d0, "timeline.aktau-cranes.set.nodes.aktau.cranes");
    assert!(e.message.contains("cannot set the cranes"), "{}", e.message);
    assert!(
        e.hint
            .as_deref()
            .is_some_and(|h| h.contains("[[disruptions]]")),
        "{:?}",
        e.hint
    );
    assert!(
        at(
            &d,
            "timeline.aktau-cranes.set.links.aktau-alat.sea.storms.events_per_year"
        )
        .message
        .contains("no storms table")
    );

    // Unquoted parameter paths are nested tables in TOML: say so.
    let t = replace(
        VALID,
        "set = { \"nodes.aktau.cranes\" = 5 }",
        "set = { nodes.aktau.cranes = 5 }",
    );
    let d = load_text(&t);
    assert!(
        d.iter().any(|x| x
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("quote the parameter path")),
        "{}",
        render(&d)
    );
}

#[test]
fn several_errors_in_one_file_are_all_reported_in_order() {
    let t = replace(VALID, "replications = 3", "replications = 0");
    let t = replace(&t, "yard_capacity_teu = 5000", "yard_capacity_teu = -1");
    let t = replace(&t, "share = 1.0", "share = 0.9");
    let t = replace(&t, "metric = \"delivered_teu\"", "metric = \"delivered\"");
    let d = load_text(&t);
    assert_eq!(d.len(), 4, "{}", render(&d));
    let lines: Vec<usize> = d.iter().map(|x| x.line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    let e = ScenarioError::Invalid(d);
    assert!(e.to_string().ends_with("4 problems in scenario"));
}

#[test]
fn extends_overrides_by_id_adds_and_removes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "base.toml", VALID);
    fs::create_dir(dir.path().join("variants")).unwrap();
    let child = r#"extends = "../base.toml"
remove = ["disruptions.khorgos-closure", "links.aktau-alat.sea.storms"]

[run]
name = "more-cranes"

[[nodes]]
id = "aktau"
cranes = 6
ferry_wagons_per_hour = 10

[[nodes]]
id = "alat"
ferry_wagons_per_hour = 10

[[nodes]]
id = "kuryk"
kind = "port"

[[links]]
id = "aktau-alat"
from = "aktau"
to = "alat"
mode = "sea"

[[links.sea.fleet]]
class = "feeder-350"
count = 4

[[links.sea.fleet]]
class = "ro-ro"
kind = "rail_ferry"
wagons = 60
capacity_teu = 120
count = 1
"#;
    let p = write(&dir.path().join("variants"), "child.toml", child);
    let s = match load(&p) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let f = &s.file;
    assert_eq!(f.run.name, "more-cranes");
    assert_eq!(f.run.first_year, 2025, "inherited");
    let aktau = f.nodes.iter().find(|n| n.id == "aktau").unwrap();
    assert_eq!(aktau.cranes, 6, "overridden");
    assert_eq!(aktau.berths, 2, "inherited field of an overridden entry");
    assert_eq!(f.nodes.len(), 4);
    assert_eq!(f.nodes[3].id, "kuryk", "new ids are appended");
    let sea = f.links[1].sea.as_ref().unwrap();
    assert_eq!(sea.fleet.len(), 2);
    assert_eq!((sea.fleet[0].count, sea.fleet[0].capacity_teu), (4, 350.0));
    assert_eq!(sea.fleet[1].class, "ro-ro");
    assert!(sea.storms.is_none(), "removed");
    assert_eq!(sea.load_cap_share, 0.8, "inherited");
    assert!(f.disruptions.is_empty(), "removed");
    assert!(f.extends.is_none() && f.remove.is_empty());
    assert_eq!(
        s.sources,
        vec![p.clone(), dir.path().join("variants").join("../base.toml")]
    );

    // Remove and define again: the entry is replaced whole, not merged, and appended.
    let replace_child =
        "extends = \"../base.toml\"\nremove = [\"nodes.khorgos\"]\n[[nodes]]\nid = \"khorgos\"\n";
    let p3 = write(&dir.path().join("variants"), "replace.toml", replace_child);
    let r = load(&p3).unwrap_or_else(|e| panic!("{e}"));
    let k = r.file.nodes.last().unwrap();
    assert_eq!(
        (k.id.as_str(), k.cranes, k.handling_minutes.is_none()),
        ("khorgos", 0, true)
    );

    // A bad override is reported in the child file; an inherited bad value in the base.
    let bad_child = child.replace("cranes = 6", "cranes = 6\nyard_capacity_teu = 0");
    let p2 = write(&dir.path().join("variants"), "bad.toml", &bad_child);
    let d = diags(load(&p2));
    let x = at(&d, "nodes.aktau.yard_capacity_teu");
    assert_eq!(x.file, p2);
    assert_eq!(x.line, line_of(&bad_child, "yard_capacity_teu"));
    write(
        dir.path(),
        "base.toml",
        &VALID.replace("capacity_teu = 350", "capacity_teu = 0"),
    );
    let d = diags(load(&p));
    let x = at(&d, "links.aktau-alat.sea.fleet.feeder-350.capacity_teu");
    assert!(x.file.ends_with("base.toml"), "{x}");
    assert_eq!(x.line, line_of(VALID, "capacity_teu = 350"));
}

#[test]
fn remove_of_unknown_entries_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "base.toml", VALID);
    let child = "extends = \"base.toml\"\nremove = [\"nodes.aktua\", \"nodez.aktau\", 3]\n";
    let p = write(dir.path(), "child.toml", child);
    let d = diags(load(&p));
    assert_eq!(d.len(), 3, "{}", render(&d));
    assert_eq!((d[0].line, d[0].column), (2, 11));
    assert!(d[0].message.contains("cannot remove `nodes.aktua`"));
    assert!(
        d[0].hint
            .as_deref()
            .unwrap()
            .contains("did you mean `aktau`?")
    );
    assert_eq!((d[1].line, d[1].column), (2, 26));
    assert!(
        d[1].hint
            .as_deref()
            .unwrap()
            .contains("did you mean `nodes`?")
    );
    assert_eq!(d[2].path, "remove[2]");

    let p = write(
        dir.path(),
        "lone.toml",
        &format!("remove = [\"nodes.aktau\"]\n{VALID}"),
    );
    let d = diags(load(&p));
    assert!(d[0].message.contains("extends no base"), "{}", render(&d));
}

#[test]
fn extends_cycle_and_missing_base() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.toml",
        &format!("extends = \"b.toml\"\n{VALID}"),
    );
    write(dir.path(), "b.toml", "# b\nextends = \"a.toml\"\n");
    let d = diags(load(&a));
    assert_eq!(d.len(), 1, "{}", render(&d));
    assert!(d[0].message.contains("extends cycle"), "{}", d[0]);
    assert!(d[0].file.ends_with("b.toml"));
    assert_eq!(
        (d[0].line, d[0].column, d[0].path.as_str()),
        (2, 1, "extends")
    );

    let selfish = write(
        dir.path(),
        "self.toml",
        &format!("extends = \"self.toml\"\n{VALID}"),
    );
    let d = diags(load(&selfish));
    assert!(d[0].message.contains("extends cycle"));

    let m = write(
        dir.path(),
        "m.toml",
        &format!("\n  extends = \"nowhere.toml\"\n{VALID}"),
    );
    let d = diags(load(&m));
    assert_eq!(d.len(), 1, "{}", render(&d));
    assert_eq!((d[0].line, d[0].column), (2, 3));
    assert!(
        d[0].message
            .contains("cannot read base scenario `nowhere.toml`"),
        "{}",
        d[0]
    );

    let w = write(dir.path(), "w.toml", &format!("extends = 3\n{VALID}"));
    let d = diags(load(&w));
    assert!(d[0].message.contains("must be a string"));

    // A chain deeper than the limit.
    for i in 0..20 {
        write(
            dir.path(),
            &format!("c{i}.toml"),
            &format!("extends = \"c{}.toml\"\n", i + 1),
        );
    }
    write(dir.path(), "c20.toml", VALID);
    let d = diags(load(&dir.path().join("c0.toml")));
    assert!(d[0].message.contains("deeper than 16"), "{}", render(&d));
    // Within the limit it loads.
    let ok = load(&dir.path().join("c10.toml")).unwrap();
    assert_eq!(ok.sources.len(), 11);
}

#[test]
fn syntax_errors_have_line_and_column() {
    let t = replace(VALID, "seed = 7", "seed = ");
    let t = replace(&t, "berths = 1", "berths = [1,");
    let d = load_text(&t);
    assert!(d.len() >= 2, "{}", render(&d));
    assert_eq!(d[0].line, line_of(&t, "seed = "));
    assert_eq!(d[0].column, 8);
    assert!(d.iter().any(|x| x.line > line_of(&t, "berths = [1,") - 1));
    assert!(d.iter().all(|x| x.path.is_empty()));

    let t = format!("{VALID}\n[run]\nname = \"again\"\n");
    let d = load_text(&t);
    assert_eq!(
        d[0].line,
        line_of(VALID, "[[targets]]") + 6,
        "{}",
        render(&d)
    );
}

#[test]
fn non_utf8_bytes_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("latin1.toml");
    let mut bytes = b"[run]\nname = \"Ba".to_vec();
    bytes.push(0xe7); // ç in Latin-1
    bytes.extend_from_slice(b"u\"\n");
    fs::write(&p, &bytes).unwrap();
    let d = diags(load(&p));
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].line, d[0].column), (2, 11));
    assert!(d[0].message.contains("not valid UTF-8"), "{}", d[0]);
    assert!(d[0].message.contains("0xe7"));
}

#[test]
fn empty_and_unreadable_files() {
    for text in ["", "  \n\n\t\n"] {
        let d = load_text(text);
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].message,
            "empty scenario file, a scenario needs at least a [run] section"
        );
        assert_eq!((d[0].line, d[0].column), (1, 1));
    }
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        load(&dir.path().join("missing.toml")),
        Err(ScenarioError::Io { .. })
    ));
    assert!(matches!(load(dir.path()), Err(ScenarioError::Io { .. })));
    let d = diags(load_str("# only a comment\n", &dir.path().join("c.toml")));
    assert!(d[0].message.contains("missing [run]"));
}

#[test]
fn quoted_dates_and_bom_are_accepted() {
    let t = format!(
        "\u{feff}{}",
        VALID.replace("start = 2026-03-01", "start = \"2026-03-01\"")
    );
    let dir = tempfile::tempdir().unwrap();
    let s = load_str(&t, &dir.path().join("s.toml")).unwrap();
    assert_eq!(
        s.file.disruptions[0].start.unwrap().to_string(),
        "2026-03-01"
    );
    // Columns on line 1 are not shifted by the byte-order mark.
    let t = format!("\u{feff}x = 1\n{VALID}");
    let d = diags(load_str(&t, &dir.path().join("s.toml")));
    assert_eq!((d[0].line, d[0].column), (1, 1));
}

#[test]
fn no_input_panics() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("p.toml");
    // Every prefix at a character boundary either loads or errors.
    let mut loaded = 0;
    for (i, _) in VALID
        .char_indices()
        .chain(std::iter::once((VALID.len(), ' ')))
    {
        if load_str(&VALID[..i], &name).is_ok() {
            loaded += 1;
        }
    }
    assert!(loaded >= 1, "the whole file loads");
    // Byte-level prefixes through real files, including cuts inside a multi-byte character.
    let text = VALID.replace("small", "Ağrı–Kars ✓");
    let bytes = text.as_bytes();
    for i in (0..bytes.len()).step_by(11).chain([17, 18, 19, 20, 21]) {
        let p = dir.path().join("cut.toml");
        fs::write(&p, &bytes[..i]).unwrap();
        let _ = load(&p);
    }
    // Every line deleted, and every line doubled: each either loads or errors.
    let lines: Vec<&str> = VALID.lines().collect();
    for i in 0..lines.len() {
        let mut dropped = lines.clone();
        dropped.remove(i);
        let _ = load_str(&dropped.join("\n"), &name);
        let mut doubled = lines.clone();
        doubled.insert(i, lines[i]);
        let _ = load_str(&doubled.join("\n"), &name);
    }
    // Odd but well-formed TOML.
    for odd in [
        "[run]\nname = 1\nfirst_year = 99999999999\nlast_year = -5\n",
        "run = 3\nnodes = \"x\"\n",
        "[[run]]\nname = \"x\"\n",
        "[run]\nname = \"x\"\nfirst_year = 2025\nlast_year = 2026\n[[nodes]]\n[[nodes]]\nid = \"\"\n",
        "[run]\nname = \"x\"\nfirst_year = 2025\nlast_year = 2026\nreplications = 0x7fffffffffffffff\nseed = -1\n",
        "x = 0x7fffffffffffffffff\n",
        "[run]\nname='x'\nfirst_year=2025\nlast_year=2025\n[[routes]]\nid='r'\nnodes=[]\nlinks=['a','b']\n[[flows]]\nid='f'\nroutes=[]\nteu_per_year={}\n",
        "a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
    ] {
        let _ = load_str(odd, &name);
    }
}

#[test]
fn documented_example_and_variant_load() {
    let doc =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario-format.md"))
            .unwrap();
    let section = doc
        .split("## Complete example")
        .nth(1)
        .expect("a Complete example section");
    let blocks: Vec<&str> = section
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "example.toml", blocks[0]);
    let variant = write(dir.path(), "variant.toml", blocks[1]);
    let b = load(&base).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.file.targets.len(), 2);
    let v = load(&variant).unwrap_or_else(|e| panic!("{e}"));
    let fleet = &v.file.links[1].sea.as_ref().unwrap().fleet;
    assert_eq!(fleet.len(), 2);
    assert_eq!(v.file.links[1].from, "aktau");
    assert!(v.file.disruptions.is_empty());
    assert_eq!(v.sources.len(), 2);
}

/// A target's subject resolves to a kind: a metric that is not measured for that kind is
/// refused (it used to pass `check` and print "not measured"), a bare id that names a flow
/// and a route is refused as ambiguous, and the qualified form says which.
#[test]
fn target_subjects_resolve_to_one_kind_that_the_metric_applies_to() {
    // `delivered_teu` is measured for the corridor, flows and routes, not for a node.
    let t = replace(
        VALID,
        "metric = \"delivered_teu\"",
        "metric = \"delivered_teu\"\nsubject = \"khorgos\"",
    );
    let d = load_text(&t);
    let x = at(&d, "targets.delivered-2027.subject");
    assert!(
        x.message
            .contains("`delivered_teu` is not measured for `khorgos` (a node)"),
        "{x}"
    );
    assert_eq!(
        x.hint.as_deref(),
        Some("`delivered_teu` is measured for: corridor, flow and route")
    );

    // A route with the flow's id: the bare id is ambiguous, each qualified form is not.
    let both = replace(VALID, "id = \"main\"", "id = \"china-europe\"");
    let both = replace(&both, "route = \"main\"", "route = \"china-europe\"");
    let t = replace(
        &both,
        "metric = \"delivered_teu\"",
        "metric = \"delivered_teu\"\nsubject = \"china-europe\"",
    );
    let d = load_text(&t);
    let x = at(&d, "targets.delivered-2027.subject");
    assert!(x.message.contains("names a flow and a route"), "{x}");
    assert_eq!(
        x.hint.as_deref(),
        Some("say which: `flows.china-europe` or `routes.china-europe`")
    );
    for qualified in ["flows.china-europe", "routes.china-europe"] {
        let t = replace(
            &both,
            "metric = \"delivered_teu\"",
            &format!("metric = \"delivered_teu\"\nsubject = \"{qualified}\""),
        );
        let dir = tempfile::tempdir().unwrap();
        let loaded = load(&write(dir.path(), "s.toml", &t)).unwrap();
        let targets = corridor::scenario::target::targets(&loaded.file);
        assert_eq!(targets[0].subject.to_string(), qualified);
    }
    // A metric that applies to only one of the two kinds needs no qualification.
    let t = replace(
        &both,
        "metric = \"delivered_teu\"",
        "metric = \"diverted_teu\"\nsubject = \"china-europe\"",
    );
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&write(dir.path(), "s.toml", &t)).unwrap();
    let targets = corridor::scenario::target::targets(&loaded.file);
    assert_eq!(targets[0].subject.to_string(), "flows.china-europe");
}

/// Investments group timeline changes; the appraisal's parameters have ranges. Each
/// problem is a located error, all reported at once.
#[test]
fn investments_and_appraisal_are_validated() {
    let ok = replace(
        VALID,
        "capex_eur = 12e6\n",
        "capex_eur = 12e6\ninvestment = \"aktau-upgrade\"\n\n\
         [[investments]]\nid = \"aktau-upgrade\"\ncapex_eur = { \"2025\" = 8e6, \"2026\" = 4e6 }\n\
         opex_eur_per_year = 1e5\nlife_years = 25\n\n\
         [appraisal]\ndiscount_rate = 0.06\nvalue_of_time_eur_per_teu_day = 30\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&write(dir.path(), "s.toml", &ok)).unwrap();
    assert_eq!(loaded.file.investments.len(), 1);
    assert_eq!(loaded.file.appraisal.as_ref().unwrap().discount_rate, 0.06);

    let bad = replace(
        &ok,
        "investment = \"aktau-upgrade\"",
        "investment = \"aktau-upgrad\"",
    );
    let bad = replace(&bad, "\"2026\" = 4e6", "\"20x6\" = -4e6");
    let bad = replace(&bad, "life_years = 25", "life_years = 0");
    let bad = replace(&bad, "discount_rate = 0.06", "discount_rate = 1.5");
    let d = load_text(&bad);
    let x = at(&d, "timeline.aktau-cranes.investment");
    assert!(
        x.message.contains("unknown investment `aktau-upgrad`"),
        "{x}"
    );
    assert_eq!(x.hint.as_deref(), Some("did you mean `aktau-upgrade`?"));
    assert!(
        at(&d, "investments.aktau-upgrade.capex_eur.20x6")
            .message
            .contains("not a year")
    );
    assert!(
        at(&d, "investments.aktau-upgrade.life_years")
            .message
            .contains("between 1 and 200")
    );
    assert!(
        at(&d, "investments.aktau-upgrade")
            .message
            .contains("used by no timeline change")
    );
    let r = at(&d, "appraisal.discount_rate");
    assert_eq!(r.line, line_of(&bad, "discount_rate = 1.5"), "{r}");
    assert!(r.message.contains("between -1 and 1"), "{r}");
}

#[test]
fn costs_and_currencies_are_validated() {
    let priced = replace(
        VALID,
        "dwell_hours = { lognormal = { mean = 12, sd = 6 } }\n",
        "dwell_hours = { lognormal = { mean = 12, sd = 6 } }\nborder_cost_per_teu = \"313 USD\"\n",
    );
    let priced = replace(
        &priced,
        "distance_km = 2400\n",
        "distance_km = 2400\ncost_per_teu_km = \"0.12 USD\"\n",
    );
    let ok = format!("{priced}\n[costs]\ncurrency = \"EUR\"\nexchange_rates = {{ USD = 0.9 }}\n");
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&write(dir.path(), "s.toml", &ok)).unwrap();
    assert_eq!(loaded.file.reporting_currency().as_deref(), Some("EUR"));

    // Unknown currency (with the closest code), a negative amount, a currency without
    // a rate, a rate for some years only, a tariff per km on a link without a distance,
    // a non-positive rate: every one located, all at once.
    let bad = replace(&ok, "\"313 USD\"", "\"313 UDS\"");
    let bad = replace(&bad, "\"0.12 USD\"", "\"-0.12 USD\"");
    let bad = replace(
        &bad,
        "mode = \"sea\"\n",
        "mode = \"sea\"\ncost_per_teu = \"500 GEL\"\ncost_per_teu_km = \"1 TRY\"\n",
    );
    let bad = replace(
        &bad,
        "exchange_rates = { USD = 0.9 }",
        "exchange_rates = { USD = 0.9, TRY = { 2025 = 0.03 }, KZT = 0 }",
    );
    let d = load_text(&bad);
    let x = at(&d, "nodes.khorgos.border_cost_per_teu");
    assert!(x.message.contains("unknown currency `UDS`"), "{x}");
    assert_eq!(x.hint.as_deref(), Some("did you mean `USD`?"));
    assert_eq!(x.line, line_of(&bad, "\"313 UDS\""));
    let x = at(&d, "links.khorgos-aktau.cost_per_teu_km");
    assert!(x.message.contains("cannot be negative"), "{x}");
    let gel = d
        .iter()
        .find(|x| x.path == "links.aktau-alat.cost_per_teu" && x.message.contains("GEL"))
        .unwrap_or_else(|| panic!("{}", render(&d)));
    assert!(
        gel.message.contains("no exchange rate from GEL to EUR"),
        "{gel}"
    );
    let tr = d
        .iter()
        .filter(|x| x.path == "links.aktau-alat.cost_per_teu_km")
        .map(|x| x.message.as_str())
        .collect::<Vec<_>>();
    assert!(
        tr.iter()
            .any(|m| m.contains("needs the link's `distance_km`")),
        "{tr:?}"
    );
    assert!(
        tr.iter()
            .any(|m| m.contains("no exchange rate from TRY to EUR for 2 of the years 2026–2027")),
        "{tr:?}"
    );
    assert!(
        at(&d, "costs.exchange_rates.KZT")
            .message
            .contains("must be > 0")
    );

    // An amount without its currency is refused where it stands.
    let bare = replace(&ok, "\"313 USD\"", "313");
    let d = load_text(&bare);
    let x = at(&d, "nodes.khorgos.border_cost_per_teu");
    assert!(x.message.contains("`313` has no currency"), "{x}");
    assert!(x.message.contains("\"313 USD\""), "{x}");

    // The appraisal counts in EUR: a priced scenario with investments reporting in USD
    // is refused at costs.currency.
    let usd = replace(&ok, "currency = \"EUR\"", "currency = \"USD\"");
    let usd = replace(&usd, "exchange_rates = { USD = 0.9 }", "");
    let usd = format!("{usd}\n[appraisal]\ndiscount_rate = 0.09\n");
    let d = load_text(&usd);
    assert!(
        at(&d, "costs.currency")
            .message
            .contains("the appraisal counts in EUR")
    );
}

#[test]
fn every_type_error_of_an_entry_is_reported_at_once() {
    // Three type errors in one node and one in a link: all four are reported, each at its
    // line, with a hint for the negative whole number; no "missing field" is invented for
    // the keys taken out to find the next one.
    let bad = replace(VALID, "cranes = 4\n", "cranes = -1\n");
    let bad = replace(&bad, "kind = \"border\"\n", "kind = \"borders\"\n");
    let bad = replace(&bad, "berths = 2\n", "berths = 2.5\n");
    let bad = replace(&bad, "distance_km = 2400\n", "distance_km = \"far\"\n");
    let d = load_text(&bad);
    let x = at(&d, "nodes.khorgos.cranes");
    assert_eq!(x.line, line_of(&bad, "cranes = -1"), "{x}");
    assert_eq!(
        x.hint.as_deref(),
        Some("a whole number, 0 or more, without sign or decimals")
    );
    let k = at(&d, "nodes.khorgos.kind");
    assert_eq!(k.hint.as_deref(), Some("did you mean `border`?"), "{k}");
    assert_eq!(
        at(&d, "nodes.aktau.berths").line,
        line_of(&bad, "berths = 2.5")
    );
    assert_eq!(
        at(&d, "links.khorgos-aktau.distance_km").line,
        line_of(&bad, "distance_km = \"far\"")
    );
    assert!(
        !d.iter().any(|x| x.message.contains("missing field")),
        "{}",
        render(&d)
    );
    assert_eq!(d.len(), 4, "{}", render(&d));
}

#[test]
fn destination_rules_and_local_flows_are_located() {
    // A gateway ending a route delivers on arrival: cranes there would never be used.
    let text = replace(
        VALID,
        "id = \"alat\"\nkind = \"port\"",
        "id = \"alat\"\nkind = \"gateway\"\ncranes = 2\nhandling_minutes = { constant = 3 }",
    );
    let d = load_text(&text);
    let x = at(&d, "nodes.alat.kind");
    assert!(x.message.contains("delivered there on arrival"), "{x}");
    assert!(
        x.hint.as_deref().unwrap_or("").contains("kind = \"port\""),
        "{x}"
    );
    // The same node as a port handles its arrivals: accepted.
    let ok = replace(
        VALID,
        "id = \"alat\"\nkind = \"port\"",
        "id = \"alat\"\nkind = \"port\"\ncranes = 2\nhandling_minutes = { constant = 3 }",
    );
    let dir = tempfile::tempdir().unwrap();
    load(&write(dir.path(), "ok.toml", &ok)).unwrap_or_else(|e| panic!("{e}"));

    // A destination yard smaller than a 40-ft box never admits one.
    let text = replace(
        VALID,
        "vessel_call_hours = { constant = 8 }",
        "vessel_call_hours = { constant = 8 }\nyard_capacity_teu = 1.5",
    );
    let d = load_text(&text);
    expect(
        &d,
        &text,
        "nodes.alat.yard_capacity_teu",
        "yard_capacity_teu = 1.5",
        1,
        "less than one 40-ft box",
    );

    // Ferry berths can be changed where a node has them, not added where it has none.
    let text = replace(
        VALID,
        "set = { \"nodes.aktau.cranes\" = 5 }",
        "set = { \"nodes.aktau.cranes\" = 5, \"nodes.alat.ferry_berths\" = 2 }",
    );
    let d = load_text(&text);
    let x = at(&d, "timeline.aktau-cranes.set.nodes.alat.ferry_berths");
    assert!(x.message.contains("has no ferry berths"), "{x}");

    // `local` is a boolean.
    let text = replace(VALID, "share_40ft = 0.8", "share_40ft = 0.8\nlocal = 3");
    let d = load_text(&text);
    expect(
        &d,
        &text,
        "flows.china-europe.local",
        "local = 3",
        1,
        "expected a boolean",
    );
}
