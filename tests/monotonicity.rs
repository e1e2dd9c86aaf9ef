//! Right at the margin: one more unit of any capacity (a berth, a ferry berth, a yard
//! crane, a quay crane per vessel, a vessel of a class, a wagon set, a train path per day, 10% more yard) must
//! never lower the TEU the corridor delivers beyond noise. Each check is paired: the same
//! replications (same seed, so the same arrivals, dwell and weather streams) with and
//! without the extra unit, so that the difference is sharp.
//!
//! "Beyond noise": the mean paired difference of delivered TEU (all reported years
//! together) must not be below −3 standard errors of that difference, nor below −0.5% of
//! delivered TEU when the differences are all alike (a standard error near zero).

use std::path::Path;

use rayon::prelude::*;

use corridor::model::Model;
use corridor::scenario::{self, ParamPath, ScenarioFile};

fn load(name: &str) -> ScenarioFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"));
    scenario::load(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .file
}

/// Delivered TEU over every reported year of replication `rep`.
fn delivered(model: &Model, rep: u64) -> f64 {
    let r = model.run(rep);
    (model.first_year()..=model.last_year())
        .filter_map(|y| r.value_of(y, "delivered_teu", "corridor"))
        .sum()
}

/// Every "one more unit" of capacity the scenario has, as (path, new value).
fn increments(s: &ScenarioFile) -> Vec<(String, f64)> {
    let mut v = Vec::new();
    for n in &s.nodes {
        if n.berths > 0 {
            v.push((format!("nodes.{}.berths", n.id), f64::from(n.berths + 1)));
            if n.quay_moves_per_hour.is_some() {
                v.push((
                    format!("nodes.{}.quay_cranes_per_vessel", n.id),
                    f64::from(n.quay_cranes_per_vessel + 1),
                ));
            }
        }
        if n.ferry_berths > 0 {
            v.push((
                format!("nodes.{}.ferry_berths", n.id),
                f64::from(n.ferry_berths + 1),
            ));
        }
        if n.cranes > 0 {
            v.push((format!("nodes.{}.cranes", n.id), f64::from(n.cranes + 1)));
        }
        if let Some(y) = n.yard_capacity_teu {
            v.push((format!("nodes.{}.yard_capacity_teu", n.id), y * 1.1));
        }
    }
    for l in &s.links {
        if let Some(r) = &l.rail
            && let Some(p) = r.paths_per_day
        {
            v.push((format!("links.{}.rail.paths_per_day", l.id), p + 1.0));
        }
        if let Some(sea) = &l.sea {
            for c in &sea.fleet {
                v.push((
                    format!("links.{}.sea.fleet.{}.count", l.id, c.class),
                    f64::from(c.count + 1),
                ));
            }
        }
    }
    for p in &s.wagon_pools {
        v.push((format!("wagon_pools.{}.sets", p.id), f64::from(p.sets + 1)));
    }
    v
}

/// The paired check of every increment; returns the failures as readable lines.
fn check(name: &str, reps: u64) -> Vec<String> {
    let base = load(name);
    let base_model = Model::build(&base).expect("builds");
    let base_teu: Vec<f64> = (0..reps)
        .into_par_iter()
        .map(|r| delivered(&base_model, r))
        .collect();
    let mean_base = base_teu.iter().sum::<f64>() / reps as f64;
    increments(&base)
        .into_par_iter()
        .filter_map(|(path, value)| {
            let mut s = base.clone();
            let p = ParamPath::parse(&path).expect("a settable path");
            p.check(&s, value).expect("a valid value");
            p.apply(&mut s, value);
            let m = Model::build(&s).expect("builds");
            let d: Vec<f64> = (0..reps)
                .map(|r| delivered(&m, r) - base_teu[r as usize])
                .collect();
            let n = d.len() as f64;
            let mean = d.iter().sum::<f64>() / n;
            let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let se = (var / n).sqrt();
            let allowed = -(3.0 * se).max(0.005 * mean_base);
            (mean < allowed).then(|| {
                format!(
                    "{name}: {path} = {value}: delivered TEU changes by {mean:.0} (se {se:.0}), below the noise bound {allowed:.0}"
                )
            })
        })
        .collect()
}

#[test]
fn one_more_unit_never_lowers_delivered_teu_on_the_baseline() {
    let failures = check("baseline-2025", 10);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn one_more_unit_never_lowers_delivered_teu_on_the_southern_branch() {
    let failures = check("southern-branch", 6);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn one_more_unit_never_lowers_delivered_teu_in_2028() {
    let failures = check("aktau-hub-2028", 4);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The case that showed the per-call berth rule wrong: four times the Turkmenbashi–Alat
/// ferries gave 6,834 TEU fewer in 2025 when every call held an Alat berth for a fixed
/// time whatever it carried. With berth time per box, more ferries cannot cost
/// throughput.
#[test]
fn four_times_the_ferries_do_not_lower_throughput() {
    let base = load("baseline-2025");
    let mut more = base.clone();
    let p = ParamPath::parse("links.turkmenbashi-alat.sea.fleet.ferry.count").unwrap();
    p.apply(&mut more, 16.0);
    let (a, b) = (Model::build(&base).unwrap(), Model::build(&more).unwrap());
    let reps = 12;
    let d: Vec<f64> = (0..reps)
        .into_par_iter()
        .map(|r| delivered(&b, r) - delivered(&a, r))
        .collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let se = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
    assert!(
        mean > -3.0 * se.max(50.0),
        "16 ferries instead of 4 change delivered TEU by {mean:.0} (se {se:.0})"
    );
}

/// The binding capacities the model names in `year`, largest first: (metric, subject,
/// mean TEU-hours) over `reps` replications.
fn named_bottlenecks(model: &Model, year: i32, reps: u64) -> Vec<(String, String, f64)> {
    let runs: Vec<_> = (0..reps).into_par_iter().map(|r| model.run(r)).collect();
    let mut total: std::collections::BTreeMap<(String, String), f64> = Default::default();
    for r in &runs {
        for rec in &r.records {
            if rec.year == year && rec.metric.is_binding() {
                *total
                    .entry((rec.metric.name().to_string(), rec.subject.clone()))
                    .or_default() += rec.value / reps as f64;
            }
        }
    }
    let mut v: Vec<_> = total.into_iter().map(|((m, s), x)| (m, s, x)).collect();
    v.sort_by(|a, b| b.2.total_cmp(&a.2));
    v
}

/// The paired gain of one more unit of a named capacity in `year`: the fall in the mean
/// transit of delivered boxes (days), with delivered TEU as a check.
fn gain_days(base: &ScenarioFile, metric: &str, subject: &str, year: i32, reps: u64) -> f64 {
    let mut paths: Vec<(String, f64)> = Vec::new();
    match metric {
        "berth_binding_teu_hours" => {
            let n = base.nodes.iter().find(|n| n.id == subject).unwrap();
            paths.push((format!("nodes.{subject}.berths"), f64::from(n.berths + 1)));
        }
        "crane_binding_teu_hours" => {
            let n = base.nodes.iter().find(|n| n.id == subject).unwrap();
            paths.push((format!("nodes.{subject}.cranes"), f64::from(n.cranes + 1)));
        }
        "yard_binding_teu_hours" => {
            let n = base.nodes.iter().find(|n| n.id == subject).unwrap();
            let y = n.yard_capacity_teu.unwrap();
            paths.push((format!("nodes.{subject}.yard_capacity_teu"), y * 1.1));
        }
        "fleet_binding_teu_hours" => {
            let l = base.links.iter().find(|l| l.id == subject).unwrap();
            for c in &l.sea.as_ref().unwrap().fleet {
                paths.push((
                    format!("links.{subject}.sea.fleet.{}.count", c.class),
                    f64::from(c.count + 1),
                ));
            }
        }
        "path_binding_teu_hours" => {
            let l = base.links.iter().find(|l| l.id == subject).unwrap();
            let p = l.rail.as_ref().unwrap().paths_per_day.unwrap_or(24.0);
            paths.push((format!("links.{subject}.rail.paths_per_day"), p + 1.0));
        }
        "wagon_binding_teu_hours" => {
            let p = base.wagon_pools.iter().find(|p| p.id == subject).unwrap();
            paths.push((format!("wagon_pools.{subject}.sets"), f64::from(p.sets + 1)));
        }
        other => panic!("unknown binding metric {other}"),
    }
    let transit = |m: &Model, r: u64| {
        m.run(r)
            .value_of(year, "transit_days_mean", "corridor")
            .unwrap_or(f64::NAN)
    };
    let base_model = Model::build(base).unwrap();
    let before: Vec<f64> = (0..reps)
        .into_par_iter()
        .map(|r| transit(&base_model, r))
        .collect();
    // For a fleet, one more vessel of its best class.
    paths
        .into_iter()
        .map(|(path, value)| {
            let mut s = base.clone();
            ParamPath::parse(&path).unwrap().apply(&mut s, value);
            let m = Model::build(&s).unwrap();
            let after: Vec<f64> = (0..reps).into_par_iter().map(|r| transit(&m, r)).collect();
            before.iter().zip(&after).map(|(b, a)| b - a).sum::<f64>() / reps as f64
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

/// A finding is a claim: the capacity the model names as binding in 2024 on the baseline
/// is the one whose next unit buys most, checked against the runner-up by paired runs.
#[test]
fn the_named_bottleneck_is_the_capacity_whose_next_unit_buys_most() {
    let base = load("baseline-2025");
    let model = Model::build(&base).unwrap();
    let named = named_bottlenecks(&model, 2024, 10);
    let (first, second) = (&named[0], &named[1]);
    let g1 = gain_days(&base, &first.0, &first.1, 2024, 10);
    let g2 = gain_days(&base, &second.0, &second.1, 2024, 10);
    eprintln!(
        "2024: {} {} {:.0} TEU-h, +1 saves {g1:.2} d; {} {} {:.0} TEU-h, +1 saves {g2:.2} d",
        first.0, first.1, first.2, second.0, second.1, second.2
    );
    assert!(
        g1 > g2,
        "named first: {} of {} ({:.0} TEU-h), one more unit saves {g1:.2} days of transit; \
         runner-up: {} of {} ({:.0} TEU-h) saves {g2:.2} days",
        first.0,
        first.1,
        first.2,
        second.0,
        second.1,
        second.2
    );
}
