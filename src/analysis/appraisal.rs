//! The appraisal of an investment from paired replications: benefits by year from the
//! difference between a scenario with and without it, discounted against its capex and
//! opex into NPV, benefit–cost ratio and IRR, each with its interval across replications.
//!
//! docs/appraisal.md states every formula; the tests below check them against cash flows
//! computed by hand. Everything here is a pure function of numbers: it must never run a
//! replication, read a scenario or write a file. Replication `r` with the investment is
//! paired with replication `r` without it (common random numbers), so each replication
//! gives one NPV and the interval is that of those NPVs.

use crate::engine::stats::Summary;
use crate::metrics::{Metric, Subject, SubjectKind};
use crate::model::results::RunResult;
use crate::scenario::schema::{InvestmentSpec, ScenarioFile};

/// What one year of one replication measured, without (`base`) and with the investment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YearEffect {
    pub year: i32,
    pub delivered_teu_base: f64,
    pub delivered_teu_with: f64,
    /// Mean door-to-door days of the TEU delivered in the year (corridor-wide).
    pub days_per_teu_base: f64,
    pub days_per_teu_with: f64,
    /// Corridor-wide tariffs per TEU delivered (`cost_per_teu`); NaN when the scenario
    /// prices nothing.
    pub cost_per_teu_base: f64,
    pub cost_per_teu_with: f64,
    /// TEU that left the corridor for want of patience (`diverted_teu`).
    pub diverted_teu_base: f64,
    pub diverted_teu_with: f64,
}

/// The money side of an investment.
#[derive(Debug, Clone, PartialEq)]
pub struct InvestmentCosts {
    /// Capital expenditure by calendar year, in the reporting currency.
    pub capex_by_year: Vec<(i32, f64)>,
    /// Operating cost per year from `opens_year` to the end of its life.
    pub opex_per_year: f64,
    /// The first year it operates (the year of its first timeline change).
    pub opens_year: i32,
    /// Years of operation counted from `opens_year`.
    pub life_years: u32,
}

/// The appraisal's parameters (the scenario's `[appraisal]` table).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AppraisalParams {
    /// Real discount rate per year, in (−1, 1).
    pub discount_rate: f64,
    /// Year to which every amount is discounted.
    pub base_year: i32,
    /// Shippers' value of time per TEU and day (cargo holding cost).
    pub value_of_time_per_teu_day: f64,
    /// What one more TEU carried by the corridor is worth (e.g. its cost advantage over the
    /// next-best route); 0 counts time savings only.
    pub value_per_teu_gained: f64,
    /// Benefits of the last simulated year continue, unchanged, to the end of the life.
    pub extend_to_life: bool,
}

/// One year's benefit: the time and the tariffs saved per TEU on the TEU carried (rule of
/// a half between the two volumes), time valued at the value of time, plus the TEU gained
/// valued at the value per TEU. A year without deliveries on one side has no time or
/// tariff term (its days and costs are NaN), nor has a scenario that prices nothing.
pub fn year_benefit(e: &YearEffect, p: &AppraisalParams) -> f64 {
    let half_volume = 0.5 * (e.delivered_teu_base + e.delivered_teu_with);
    let saved_days = e.days_per_teu_base - e.days_per_teu_with;
    let time = if saved_days.is_finite() {
        p.value_of_time_per_teu_day * saved_days * half_volume
    } else {
        0.0
    };
    let saved_cost = e.cost_per_teu_base - e.cost_per_teu_with;
    let tariffs = if saved_cost.is_finite() {
        saved_cost * half_volume
    } else {
        0.0
    };
    time + tariffs + p.value_per_teu_gained * (e.delivered_teu_with - e.delivered_teu_base)
}

/// The investment's costs (capex, then opex over its life) by year.
pub fn cost_flows(c: &InvestmentCosts) -> Vec<(i32, f64)> {
    let mut out: Vec<(i32, f64)> = c.capex_by_year.clone();
    for k in 0..c.life_years as i32 {
        out.push((c.opens_year + k, c.opex_per_year));
    }
    out
}

/// The benefits by year of one replication: the simulated years, then (with
/// `extend_to_life`) the last simulated year's benefit repeated up to the last year of the
/// investment's life.
pub fn benefit_flows(
    effects: &[YearEffect],
    c: &InvestmentCosts,
    p: &AppraisalParams,
) -> Vec<(i32, f64)> {
    let mut out: Vec<(i32, f64)> = effects
        .iter()
        .map(|e| (e.year, year_benefit(e, p)))
        .collect();
    if p.extend_to_life {
        if let Some(&(last, b)) = out.last() {
            let end = c.opens_year + c.life_years as i32 - 1;
            for y in last + 1..=end {
                out.push((y, b));
            }
        }
    }
    out
}

/// Present value at `base_year` of amounts by year: Σ x_y / (1 + rate)^(y − base_year).
pub fn present_value(flows: &[(i32, f64)], rate: f64, base_year: i32) -> f64 {
    flows
        .iter()
        .map(|&(y, x)| x / (1.0 + rate).powi(y - base_year))
        .sum()
}

/// The internal rate of return: the rate at which the net flows' present value is zero.
/// It is unique when the net flows, summed by year in year order, change sign exactly once
/// (Descartes' rule of signs); only then is one returned, found by bisection on
/// (−0.99, 10⁶). `None` when the root lies outside those bounds, when the flows never change sign (all costs, or all benefits) or
/// change sign more than once (several rates, none of them "the" IRR).
pub fn irr(net: &[(i32, f64)], base_year: i32) -> Option<f64> {
    let mut by_year: Vec<(i32, f64)> = Vec::new();
    let mut sorted = net.to_vec();
    sorted.sort_by_key(|x| x.0);
    for (y, x) in sorted {
        match by_year.last_mut() {
            Some(last) if last.0 == y => last.1 += x,
            _ => by_year.push((y, x)),
        }
    }
    let signs: Vec<f64> = by_year
        .iter()
        .filter(|x| x.1 != 0.0)
        .map(|x| x.1.signum())
        .collect();
    if signs.windows(2).filter(|w| w[0] != w[1]).count() != 1 {
        return None;
    }
    let f = |r: f64| present_value(&by_year, r, base_year);
    let (mut lo, mut hi) = (-0.99, 1e6);
    let (flo, fhi) = (f(lo), f(hi));
    if flo == 0.0 {
        return Some(lo);
    }
    if flo.signum() == fhi.signum() {
        // The root lies beyond the bounds searched: none is invented.
        return None;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid).signum() == flo.signum() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// One replication's appraisal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicationAppraisal {
    pub pv_benefits: f64,
    pub pv_costs: f64,
    pub npv: f64,
    /// PV(benefits) / PV(costs); NaN when the costs are zero.
    pub bcr: f64,
    pub irr: Option<f64>,
    /// TEU gained over the simulated years per million of capex (undiscounted).
    pub teu_per_million_capex: f64,
}

pub fn appraise_replication(
    effects: &[YearEffect],
    c: &InvestmentCosts,
    p: &AppraisalParams,
) -> ReplicationAppraisal {
    let benefits = benefit_flows(effects, c, p);
    let costs = cost_flows(c);
    let pv_benefits = present_value(&benefits, p.discount_rate, p.base_year);
    let pv_costs = present_value(&costs, p.discount_rate, p.base_year);
    let net: Vec<(i32, f64)> = benefits
        .iter()
        .copied()
        .chain(costs.iter().map(|&(y, x)| (y, -x)))
        .collect();
    let capex: f64 = c.capex_by_year.iter().map(|x| x.1).sum();
    let gained: f64 = effects
        .iter()
        .map(|e| e.delivered_teu_with - e.delivered_teu_base)
        .sum();
    ReplicationAppraisal {
        pv_benefits,
        pv_costs,
        npv: pv_benefits - pv_costs,
        bcr: if pv_costs > 0.0 {
            pv_benefits / pv_costs
        } else {
            f64::NAN
        },
        irr: irr(&net, p.base_year),
        teu_per_million_capex: if capex > 0.0 {
            gained / (capex / 1e6)
        } else {
            f64::NAN
        },
    }
}

/// An investment's appraisal across replications.
#[derive(Debug, Clone, PartialEq)]
pub struct Appraisal {
    pub npv: Summary,
    pub bcr: Summary,
    pub teu_per_million_capex: Summary,
    /// Median IRR over the replications that have one; NaN when none has.
    pub irr_median: f64,
    /// Replications with an IRR.
    pub irr_n: usize,
    /// Share of replications with NPV > 0, and its 95% Wilson interval.
    pub p_npv_positive: f64,
    pub p_npv_positive_low: f64,
    pub p_npv_positive_high: f64,
}

/// Summarises the replications' appraisals (one per replication, paired).
pub fn summarise(reps: &[ReplicationAppraisal]) -> Appraisal {
    let col = |f: fn(&ReplicationAppraisal) -> f64| -> Vec<f64> { reps.iter().map(f).collect() };
    let mut irrs: Vec<f64> = reps.iter().filter_map(|r| r.irr).collect();
    irrs.sort_by(f64::total_cmp);
    let irr_median = match irrs.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => irrs[n / 2],
        n => 0.5 * (irrs[n / 2 - 1] + irrs[n / 2]),
    };
    let n = reps.len();
    let positive = reps.iter().filter(|r| r.npv > 0.0).count();
    let (p, lo, hi) = wilson(positive, n);
    Appraisal {
        npv: Summary::of(&col(|r| r.npv)),
        bcr: Summary::of(&col(|r| r.bcr)),
        teu_per_million_capex: Summary::of(&col(|r| r.teu_per_million_capex)),
        irr_median,
        irr_n: irrs.len(),
        p_npv_positive: p,
        p_npv_positive_low: lo,
        p_npv_positive_high: hi,
    }
}

/// The share k/n and its 95% Wilson score interval (which, unlike the normal one, stays in
/// [0, 1] and is not empty when k is 0 or n).
pub fn wilson(k: usize, n: usize) -> (f64, f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let z = 1.959_963_984_540_054_f64;
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let d = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / d;
    let half = z * ((p * (1.0 - p) + z * z / (4.0 * n)) / n).sqrt() / d;
    (p, (centre - half).max(0.0), (centre + half).min(1.0))
}

/// The scenario without the changes of the given investments: the "without" side of an
/// appraisal. Nothing else changes, so replication `r` of both shares its random numbers.
pub fn without_investments(s: &ScenarioFile, ids: &[&str]) -> ScenarioFile {
    let mut out = s.clone();
    out.timeline
        .retain(|c| c.investment.as_deref().is_none_or(|i| !ids.contains(&i)));
    out
}

/// The costs of investment `spec` of scenario `s`: it opens in the year of its earliest
/// change; a capex total is spent that year.
pub fn investment_costs(s: &ScenarioFile, spec: &InvestmentSpec) -> InvestmentCosts {
    let opens_year = spec.opens_year(s);
    InvestmentCosts {
        capex_by_year: spec.capex_by_year(opens_year),
        opex_per_year: spec.opex_eur_per_year,
        opens_year,
        life_years: spec.life_years,
    }
}

/// The appraisal parameters of scenario `s` (defaults where it has no `[appraisal]`).
pub fn params_of(s: &ScenarioFile) -> AppraisalParams {
    let a = s.appraisal.clone().unwrap_or_default();
    AppraisalParams {
        discount_rate: a.discount_rate,
        base_year: a.base_year.unwrap_or(s.run.first_year),
        value_of_time_per_teu_day: a.value_of_time_eur_per_teu_day,
        value_per_teu_gained: a.value_eur_per_teu_gained,
        extend_to_life: a.extend_to_life,
    }
}

/// The corridor's deliveries and days by year in a pair of replications (same number).
pub fn effects(base: &RunResult, with: &RunResult) -> Vec<YearEffect> {
    let v = |r: &RunResult, y: i32, m: Metric| {
        r.value(y, m, SubjectKind::Corridor, Subject::CORRIDOR_ID)
            .unwrap_or(f64::NAN)
    };
    let mut years: Vec<i32> = base.records.iter().map(|r| r.year).collect();
    years.sort_unstable();
    years.dedup();
    years
        .into_iter()
        .map(|y| YearEffect {
            year: y,
            delivered_teu_base: v(base, y, Metric::DeliveredTeu),
            delivered_teu_with: v(with, y, Metric::DeliveredTeu),
            days_per_teu_base: v(base, y, Metric::TransitDaysMean),
            days_per_teu_with: v(with, y, Metric::TransitDaysMean),
            cost_per_teu_base: v(base, y, Metric::CostPerTeu),
            cost_per_teu_with: v(with, y, Metric::CostPerTeu),
            diverted_teu_base: v(base, y, Metric::DivertedTeu),
            diverted_teu_with: v(with, y, Metric::DivertedTeu),
        })
        .collect()
}

/// Which pair of scenarios measures an investment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// The full scenario against the full scenario without this investment.
    LeaveOneOut,
    /// The scenario without any investment against it with this one only.
    AddOne,
}

impl Way {
    pub fn name(self) -> &'static str {
        match self {
            Way::LeaveOneOut => "leave_one_out",
            Way::AddOne => "add_one",
        }
    }
}

/// One investment appraised one way, across paired replications.
#[derive(Debug, Clone, PartialEq)]
pub struct AppraisalRow {
    pub investment: String,
    pub way: Way,
    /// Total capex, undiscounted.
    pub capex_eur: f64,
    pub appraisal: Appraisal,
    /// TEU delivered with minus without, summed over the simulated years.
    pub teu_gained: Summary,
    /// Mean transit days saved per TEU in the last simulated year.
    pub days_saved_last_year: Summary,
    /// Tariffs saved per TEU delivered in the last simulated year (NaN values when the
    /// scenario prices nothing are left out: then n is 0).
    pub cost_saved_per_teu_last_year: Summary,
    /// Each simulated year's paired effects.
    pub years: Vec<YearRow>,
    /// Pairs of replications (with the same number on both sides).
    pub n: usize,
}

/// One simulated year of an appraisal: with minus without (or without minus with for what
/// is saved), across paired replications. A quantity a pair lacks (no deliveries, no
/// tariffs) is left out of that year's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct YearRow {
    pub year: i32,
    pub teu_gained: Summary,
    /// Diverted TEU without minus with: demand the investment keeps in the corridor.
    pub diverted_teu_avoided: Summary,
    pub days_saved_per_teu: Summary,
    pub cost_saved_per_teu: Summary,
    /// The year's benefit (`year_benefit`), undiscounted, in EUR.
    pub benefit_eur: Summary,
}

/// The year rows of paired effects (`pairs[r]` = one replication's years).
fn year_rows(pairs: &[Vec<YearEffect>], p: &AppraisalParams) -> Vec<YearRow> {
    let mut years: Vec<i32> = pairs.iter().flatten().map(|e| e.year).collect();
    years.sort_unstable();
    years.dedup();
    years
        .into_iter()
        .map(|year| {
            let of = |f: &dyn Fn(&YearEffect) -> f64| {
                let v: Vec<f64> = pairs
                    .iter()
                    .flatten()
                    .filter(|e| e.year == year)
                    .map(f)
                    .filter(|x| x.is_finite())
                    .collect();
                Summary::of(&v)
            };
            YearRow {
                year,
                teu_gained: of(&|e| e.delivered_teu_with - e.delivered_teu_base),
                diverted_teu_avoided: of(&|e| e.diverted_teu_base - e.diverted_teu_with),
                days_saved_per_teu: of(&|e| e.days_per_teu_base - e.days_per_teu_with),
                cost_saved_per_teu: of(&|e| e.cost_per_teu_base - e.cost_per_teu_with),
                benefit_eur: of(&|e| year_benefit(e, p)),
            }
        })
        .collect()
}

/// Appraises investment `id` from the runs without (`base`) and with it, paired by
/// replication number (a replication missing on either side is left out).
pub fn appraise(
    id: &str,
    way: Way,
    base: &[RunResult],
    with: &[RunResult],
    costs: &InvestmentCosts,
    p: &AppraisalParams,
) -> AppraisalRow {
    let mut reps = Vec::new();
    let mut gained = Vec::new();
    let mut saved = Vec::new();
    let mut cost_saved = Vec::new();
    let mut pairs = Vec::new();
    for b in base {
        let Some(w) = with.iter().find(|w| w.replication == b.replication) else {
            continue;
        };
        let e = effects(b, w);
        reps.push(appraise_replication(&e, costs, p));
        gained.push(
            e.iter()
                .map(|x| x.delivered_teu_with - x.delivered_teu_base)
                .sum::<f64>(),
        );
        if let Some(last) = e.last() {
            saved.push(last.days_per_teu_base - last.days_per_teu_with);
            let c = last.cost_per_teu_base - last.cost_per_teu_with;
            if c.is_finite() {
                cost_saved.push(c);
            }
        }
        pairs.push(e);
    }
    AppraisalRow {
        investment: id.to_string(),
        way,
        capex_eur: costs.capex_by_year.iter().map(|x| x.1).sum(),
        appraisal: summarise(&reps),
        teu_gained: Summary::of(&gained),
        days_saved_last_year: Summary::of(&saved),
        cost_saved_per_teu_last_year: Summary::of(&cost_saved),
        years: year_rows(&pairs, p),
        n: reps.len(),
    }
}

/// Rows ranked for the table: by way (leave one out first), then NPV, largest first.
pub fn rank(rows: &mut [AppraisalRow]) {
    rows.sort_by(|a, b| {
        (a.way != Way::LeaveOneOut)
            .cmp(&(b.way != Way::LeaveOneOut))
            .then(b.appraisal.npv.mean.total_cmp(&a.appraisal.npv.mean))
            .then(a.investment.cmp(&b.investment))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> AppraisalParams {
        AppraisalParams {
            discount_rate: 0.10,
            base_year: 2025,
            value_of_time_per_teu_day: 10.0,
            value_per_teu_gained: 100.0,
            extend_to_life: false,
        }
    }

    #[test]
    fn npv_bcr_irr_by_hand() {
        // Capex 1000 in 2025, benefits 600 in 2026 and 2027, no opex.
        let costs = InvestmentCosts {
            capex_by_year: vec![(2025, 1000.0)],
            opex_per_year: 0.0,
            opens_year: 2026,
            life_years: 2,
        };
        // Benefit 600 = 6 TEU gained × 100; no time saved.
        let e = |year| YearEffect {
            year,
            delivered_teu_base: 10.0,
            delivered_teu_with: 16.0,
            days_per_teu_base: 20.0,
            days_per_teu_with: 20.0,
            cost_per_teu_base: f64::NAN,
            cost_per_teu_with: f64::NAN,
            diverted_teu_base: 0.0,
            diverted_teu_with: 0.0,
        };
        let r = appraise_replication(&[e(2026), e(2027)], &costs, &params());
        let pv_b = 600.0 / 1.1 + 600.0 / 1.21;
        assert!((r.pv_benefits - pv_b).abs() < 1e-9);
        assert_eq!(r.pv_costs, 1000.0);
        assert!((r.npv - (pv_b - 1000.0)).abs() < 1e-9);
        assert!((r.bcr - pv_b / 1000.0).abs() < 1e-12);
        // IRR: 600/(1+i) + 600/(1+i)^2 = 1000 → i = (−0.4 + √(0.16 + 2.4)) / 1.2... solved
        // as x = 1/(1+i): 600x² + 600x − 1000 = 0, x = (−600 + √(600² + 4·600·1000)) / 1200.
        let x = (-600.0 + (600.0f64 * 600.0 + 4.0 * 600.0 * 1000.0).sqrt()) / 1200.0;
        let i = 1.0 / x - 1.0;
        assert!((r.irr.unwrap() - i).abs() < 1e-9, "{:?} vs {i}", r.irr);
        assert_eq!(r.teu_per_million_capex, 12.0 / 0.001);
    }

    #[test]
    fn time_savings_use_the_rule_of_a_half_and_opex_runs_over_the_life() {
        let costs = InvestmentCosts {
            capex_by_year: vec![(2025, 500.0), (2026, 500.0)],
            opex_per_year: 50.0,
            opens_year: 2026,
            life_years: 3,
        };
        let p = AppraisalParams {
            discount_rate: 0.0,
            value_per_teu_gained: 0.0,
            ..params()
        };
        // 2 days saved on (100 + 120)/2 TEU at 10 per TEU-day = 2,200.
        let e = YearEffect {
            year: 2026,
            delivered_teu_base: 100.0,
            delivered_teu_with: 120.0,
            days_per_teu_base: 12.0,
            days_per_teu_with: 10.0,
            cost_per_teu_base: f64::NAN,
            cost_per_teu_with: f64::NAN,
            diverted_teu_base: 0.0,
            diverted_teu_with: 0.0,
        };
        assert_eq!(year_benefit(&e, &p), 2200.0);
        // Tariffs 5 lower per TEU on the same 110 TEU (rule of a half) add 550.
        let cheaper = YearEffect {
            cost_per_teu_base: 105.0,
            cost_per_teu_with: 100.0,
            ..e
        };
        assert_eq!(year_benefit(&cheaper, &p), 2200.0 + 550.0);
        assert_eq!(
            cost_flows(&costs),
            vec![
                (2025, 500.0),
                (2026, 500.0),
                (2026, 50.0),
                (2027, 50.0),
                (2028, 50.0)
            ]
        );
        // Extended to the end of the life (2028): three years of 2,200.
        let ext = AppraisalParams {
            extend_to_life: true,
            ..p
        };
        let r = appraise_replication(&[e], &costs, &ext);
        assert_eq!(r.pv_benefits, 6600.0);
        assert_eq!(r.npv, 6600.0 - 1150.0);
        // A year without deliveries has no time term.
        let none = YearEffect {
            days_per_teu_with: f64::NAN,
            ..e
        };
        assert_eq!(year_benefit(&none, &p), 0.0);
    }

    #[test]
    fn an_investment_that_changes_nothing_has_npv_minus_its_capex() {
        let costs = InvestmentCosts {
            capex_by_year: vec![(2025, 1e6)],
            opex_per_year: 0.0,
            opens_year: 2026,
            life_years: 10,
        };
        let same = YearEffect {
            year: 2026,
            delivered_teu_base: 5e4,
            delivered_teu_with: 5e4,
            days_per_teu_base: 17.0,
            days_per_teu_with: 17.0,
            cost_per_teu_base: 3000.0,
            cost_per_teu_with: 3000.0,
            diverted_teu_base: 0.0,
            diverted_teu_with: 0.0,
        };
        let r = appraise_replication(&[same], &costs, &params());
        assert_eq!(r.npv, -1e6);
        assert_eq!(r.irr, None, "no sign change: no IRR");
        assert_eq!(r.teu_per_million_capex, 0.0);
    }

    #[test]
    fn irr_only_for_one_sign_change() {
        // −100, +60, +60: one change, IRR 13.07% (x² + x − 5/3 = 0 for x = 1/(1+i)).
        let one = [(2025, -100.0), (2026, 60.0), (2027, 60.0)];
        let x = (-1.0 + (1.0f64 + 4.0 * 100.0 / 60.0).sqrt()) / 2.0;
        assert!((irr(&one, 2025).unwrap() - (1.0 / x - 1.0)).abs() < 1e-9);
        // −100, +230, −132: two changes (roots at 10% and 20%): no single IRR.
        assert_eq!(
            irr(&[(2025, -100.0), (2026, 230.0), (2027, -132.0)], 2025),
            None
        );
        // Flows of one year are summed before counting: −100 and +300 in 2026 is +200.
        assert!(irr(&[(2025, -100.0), (2026, -100.0), (2026, 300.0)], 2025).is_some());
        assert_eq!(irr(&[(2025, -100.0), (2026, -5.0)], 2025), None);
    }

    #[test]
    fn wilson_interval_by_hand() {
        // k = 0 of 10: [0, z²/(n + z²)] = [0, 0.2775].
        let (p, lo, hi) = wilson(0, 10);
        assert_eq!((p, lo), (0.0, 0.0));
        assert!((hi - 0.277_532).abs() < 1e-5, "{hi}");
        let (p, lo, hi) = wilson(5, 10);
        assert_eq!(p, 0.5);
        assert!((lo - 0.236_593).abs() < 1e-5 && (hi - 0.763_407).abs() < 1e-5);
        let a = summarise(&[
            ReplicationAppraisal {
                pv_benefits: 2.0,
                pv_costs: 1.0,
                npv: 1.0,
                bcr: 2.0,
                irr: Some(0.2),
                teu_per_million_capex: 1.0,
            },
            ReplicationAppraisal {
                pv_benefits: 0.0,
                pv_costs: 1.0,
                npv: -1.0,
                bcr: 0.0,
                irr: None,
                teu_per_million_capex: 0.0,
            },
        ]);
        assert_eq!(a.npv.mean, 0.0);
        assert_eq!((a.irr_median, a.irr_n), (0.2, 1));
        assert_eq!(a.p_npv_positive, 0.5);
    }
}
