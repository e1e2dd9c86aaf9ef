//! Shippers choose (docs/model.md § 1.7): the validity cases of route choice and of a
//! market that answers the corridor's performance, each on a network small enough that
//! the expected split is worked out by hand from the logit formula.
//!
//! The network: origin `a`, two parallel rail routes via `b1` and `b2` to the gateway
//! `c`. Trains carry one TEU and leave at once (no paths, no wagon pools), so a box's
//! time on a route is exactly the links' constant travel times and shippers' estimates
//! are exact: the split is the logit's, and only the draws of routes are random.

use corridor::model::{Model, RunResult};
use corridor::scenario::ScenarioFile;

fn model(toml_text: &str) -> Model {
    let s: ScenarioFile = toml::from_str(toml_text).expect("test scenario parses");
    let issues = corridor::scenario::validate(&s);
    assert!(issues.is_empty(), "{issues:?}");
    Model::build(&s).expect("test scenario builds")
}

fn value(r: &RunResult, year: i32, metric: &str, subject: &str) -> f64 {
    r.value_of(year, metric, subject)
        .unwrap_or_else(|| panic!("no {metric} for {subject} in {year}"))
}

/// Two parallel routes; `hours2` is the travel time of `a-b2` (10 h on every other link),
/// `flow` adds to the flow's table, `extra` to the file.
fn parallel(hours2: f64, flow: &str, extra: &str) -> String {
    format!(
        r#"
[run]
name = "choice"
first_year = 2030
last_year = 2031
seed = 11
warmup_days = 0

[[nodes]]
id = "a"
[[nodes]]
id = "b1"
[[nodes]]
id = "b2"
[[nodes]]
id = "c"
kind = "gateway"

[[links]]
id = "a-b1"
from = "a"
to = "b1"
mode = "rail"
[links.rail]
train_capacity_teu = 1
extra_hours = {{ constant = 10 }}
[[links]]
id = "b1-c"
from = "b1"
to = "c"
mode = "rail"
[links.rail]
train_capacity_teu = 1
extra_hours = {{ constant = 10 }}
[[links]]
id = "a-b2"
from = "a"
to = "b2"
mode = "rail"
[links.rail]
train_capacity_teu = 1
extra_hours = {{ constant = {hours2} }}
[[links]]
id = "b2-c"
from = "b2"
to = "c"
mode = "rail"
[links.rail]
train_capacity_teu = 1
extra_hours = {{ constant = 10 }}

[[routes]]
id = "via-1"
nodes = ["a", "b1", "c"]
[[routes]]
id = "via-2"
nodes = ["a", "b2", "c"]

{extra}

[[flows]]
id = "f"
routes = [{{ route = "via-1", share = 0.5 }}, {{ route = "via-2", share = 0.5 }}]
teu_per_year = {{ "2030" = 20000 }}
value_of_time_per_teu_day = "240 EUR"
{flow}
"#
    )
}

const LOGIT: &str = "route_choice = { rule = \"logit\", dispersion = 0.002 }";

/// Share of the flow's created TEU that chose `via-1` in `year`.
fn share_1(r: &RunResult, year: i32) -> (f64, f64) {
    let a = value(r, year, "created_teu", "via-1");
    let b = value(r, year, "created_teu", "via-2");
    (a / (a + b), a + b)
}

#[test]
fn two_identical_routes_split_half_and_half() {
    let m = model(&parallel(10.0, LOGIT, ""));
    let r = m.run(0);
    for year in [2030, 2031] {
        let (p, n) = share_1(&r, year);
        // Binomial noise of ~20,000 draws: sd = 0.5 / sqrt(n) ≈ 0.0035; allow 4 sd.
        let sd = 0.5 / n.sqrt();
        assert!((p - 0.5).abs() < 4.0 * sd, "{year}: share {p} of {n} TEU");
    }
}

#[test]
fn a_slower_route_gets_the_logit_share() {
    // via-2 is 48 h slower: 2 days × 240 EUR = 480 EUR dearer; at dispersion 0.002 the
    // odds are e^0.96, so via-1 gets 1 / (1 + e^-0.96) = 0.7231 of the boxes.
    let m = model(&parallel(58.0, LOGIT, ""));
    let r = m.run(0);
    let expected = 1.0 / (1.0 + (-0.96f64).exp());
    for year in [2030, 2031] {
        let (p, n) = share_1(&r, year);
        let sd = (expected * (1.0 - expected) / n).sqrt();
        assert!(
            (p - expected).abs() < 4.0 * sd,
            "{year}: share {p}, expected {expected} ± {sd}"
        );
    }
    // The flow's generalized cost is the expected one: 20 h on via-1, 68 h on via-2.
    let gc = expected * 240.0 * 20.0 / 24.0 + (1.0 - expected) * 240.0 * 68.0 / 24.0;
    let got = value(&r, 2031, "generalized_cost_per_teu", "f");
    assert!((got - gc).abs() < 1e-6, "{got} vs {gc}");
}

#[test]
fn the_cheapest_rule_sends_every_box_on_the_cheaper_route() {
    let m = model(&parallel(
        11.0,
        "route_choice = { rule = \"cheapest\" }",
        "",
    ));
    let r = m.run(0);
    assert_eq!(value(&r, 2030, "created_teu", "via-2"), 0.0);
    assert!(value(&r, 2030, "created_teu", "via-1") > 19_000.0);
    // A tariff on via-1 larger than the hour's value (240/24 = 10 EUR) turns it round.
    let priced = parallel(11.0, "route_choice = { rule = \"cheapest\" }", "")
        .replace("id = \"a-b1\"", "id = \"a-b1\"\ncost_per_teu = \"11 EUR\"");
    let r = model(&priced).run(0);
    assert_eq!(value(&r, 2030, "created_teu", "via-1"), 0.0);
}

#[test]
fn a_closed_route_gets_no_new_boxes_while_closed_and_wins_them_back() {
    // a-b2 is closed for all of 2030 (365 days from 1 January), then open again.
    let closure = r#"
[[disruptions]]
id = "works"
subject = "links.a-b2"
start = 2030-01-01
duration_hours = { constant = 8760 }
"#;
    let m = model(&parallel(10.0, LOGIT, closure));
    let r = m.run(0);
    assert_eq!(value(&r, 2030, "created_teu", "via-2"), 0.0);
    let (p, n) = share_1(&r, 2031);
    assert!((p - 0.5).abs() < 4.0 * 0.5 / n.sqrt(), "2031 share {p}");
}

/// A market of 100,000 TEU a year with one alternative of cost `alt_eur` and 20 days.
fn market(tariff_eur: f64, alt_eur: f64, damping: f64) -> String {
    let flow = format!(
        r#"market = {{ teu_per_year = {{ "2030" = 100000 }}, alternatives = ["sea"], dispersion = 0.001, initial_share = 0.5, interval_days = 30, damping = {damping}, outside_days = 10 }}"#
    );
    let alt = format!(
        r#"
[[alternatives]]
id = "sea"
cost_per_teu = "{alt_eur} EUR"
transit_days = 20
"#
    );
    parallel(10.0, &flow, &alt)
        .replace(
            "teu_per_year = { \"2030\" = 20000 }",
            "teu_per_year = { \"2030\" = 0 }",
        )
        .replace(
            "id = \"a-b1\"",
            &format!("id = \"a-b1\"\ncost_per_teu = \"{tariff_eur} EUR\""),
        )
        .replace(
            "id = \"a-b2\"",
            &format!("id = \"a-b2\"\ncost_per_teu = \"{tariff_eur} EUR\""),
        )
}

#[test]
fn a_market_share_follows_the_logit_of_the_corridors_cost() {
    // Corridor: 20 h in the network + 10 days outside = (20/24 + 10) days × 240 EUR, plus
    // the tariff; the sea: 20 days × 240 EUR + its freight. With damping 1 the share is
    // the logit share from the second interval on.
    let (tariff, alt) = (500.0, 1_000.0);
    let r = model(&market(tariff, alt, 1.0)).run(0);
    let gc_c = tariff + 240.0 * (20.0 / 24.0 + 10.0);
    let gc_a = alt + 240.0 * 20.0;
    let s = 1.0 / (1.0 + (-0.001 * (gc_a - gc_c)).exp());
    let got = value(&r, 2031, "market_share", "f");
    assert!((got - s).abs() < 1e-9, "{got} vs {s}");
    let sea = value(&r, 2031, "market_share", "sea");
    assert!((sea - (1.0 - s)).abs() < 1e-9, "{sea}");
    // What the corridor wins arrives: created TEU within Poisson noise of s × 100,000.
    let created = value(&r, 2031, "created_teu", "f");
    let mean = s * 100_000.0;
    assert!(
        (created - mean).abs() < 4.0 * mean.sqrt(),
        "{created} vs {mean}"
    );
    let lost = value(&r, 2031, "lost_teu", "f");
    assert!((lost - (1.0 - s) * 100_000.0).abs() < 1e-6, "{lost}");
    assert_eq!(value(&r, 2031, "market_teu", "f"), 100_000.0);
    assert!(value(&r, 2031, "market_share_swing", "f") < 1e-12);
}

#[test]
fn a_dearer_corridor_wins_less_of_its_market() {
    let shares: Vec<f64> = [0.0, 300.0, 600.0, 900.0]
        .iter()
        .map(|&t| {
            value(
                &model(&market(t, 1_000.0, 0.5)).run(0),
                2031,
                "market_share",
                "f",
            )
        })
        .collect();
    assert!(
        shares.windows(2).all(|w| w[1] < w[0]),
        "shares by tariff: {shares:?}"
    );
}

#[test]
fn a_damped_share_settles_without_oscillating() {
    let r = model(&market(500.0, 1_000.0, 0.5)).run(0);
    // From 0.5 towards ~0.99: the gap halves every 30 days, so by 2031 it has closed.
    let swing_2030 = value(&r, 2030, "market_share_swing", "f");
    let swing_2031 = value(&r, 2031, "market_share_swing", "f");
    assert!(swing_2030 > 0.1, "{swing_2030}");
    assert!(swing_2031 < 1e-4, "{swing_2031}");
}

#[test]
fn choosing_is_reproducible_from_the_seed() {
    let m = model(&market(500.0, 1_000.0, 0.5));
    let (a, b) = (m.run(3), m.run(3));
    assert_eq!(format!("{:?}", a.records), format!("{:?}", b.records));
}
