//! Validation of the engine (calendar, streams, distributions, statistics) against exact
//! queueing theory, through the reference models of `corridor::queueing`.
//!
//! Method: independent replications (same seed, replication index 0..n, so independent
//! streams), one estimate per replication, a Student-t 99% interval across them
//! (`Summary::with_level(.., 0.99)`), and two assertions per quantity:
//! 1. the exact value lies inside the interval (the engine is right), and
//! 2. the exact value of a slightly wrong model (service rate 10% off, LIFO instead of FIFO,
//!    ...) lies outside it (the test is sharp enough to notice if the engine were wrong).
//!
//! Seeds are fixed, so each test is deterministic. With a fresh seed each "exact value inside"
//! check would fail with probability about 1%; the seeds here were not chosen to pass (they
//! are 1, 2, 3, ...), and changing how the engine draws numbers may move an estimate.
//!
//! Sizes: the whole file simulates about 14 million customers. On the project's 2-core
//! machine `cargo test --release --test queueing_validation` runs it in about 1 s and plain
//! `cargo test` (debug) in about 6 s (12.5 s on one thread), not counting compilation, so no
//! test is ignored in debug builds. The figures quoted in the comments below are those printed by
//! `cargo test --release --test queueing_validation -- --nocapture`.

use corridor::engine::Summary;
use corridor::queueing::{Fault, NetworkResult, NetworkSpec, StationSpec, run_with_fault};

/// Runs `n` replications (0..n) of `spec` with `seed`, checking conservation in each.
fn replicate(spec: &NetworkSpec, seed: u64, n: u64, fault: Fault) -> Vec<NetworkResult> {
    (0..n)
        .map(|r| {
            let res = run_with_fault(spec, seed, r, fault).expect("valid spec");
            if fault == Fault::None {
                assert!(res.conservation.holds(), "{:?}", res.conservation);
            }
            res
        })
        .collect()
}

fn summary(results: &[NetworkResult], f: impl Fn(&NetworkResult) -> f64) -> Summary {
    let v: Vec<f64> = results.iter().map(f).collect();
    Summary::with_level(&v, 0.99)
}

/// Asserts that `exact` lies in the 99% interval `s`, and that each of the `wrong` values
/// (exact values of slightly wrong models) does not.
fn check(name: &str, s: &Summary, exact: f64, wrong: &[(&str, f64)]) {
    eprintln!(
        "{name}: {:.5} ± {:.5} (99%, half-width {:.2}% of exact {exact:.5})",
        s.mean,
        s.half_width(),
        100.0 * s.half_width() / exact.abs()
    );
    assert!(
        s.contains(exact),
        "{name}: exact {exact} outside the 99% interval [{}, {}]",
        s.ci95_low,
        s.ci95_high
    );
    for (label, w) in wrong {
        let dist = (w - s.mean).abs() / s.half_width();
        eprintln!("    {label}: exact would be {w:.5}, {dist:.1} half-widths away");
        assert!(
            !s.contains(*w),
            "{name}: not sharp enough: {label} ({w}) is inside [{}, {}]",
            s.ci95_low,
            s.ci95_high
        );
    }
}

/// Erlang C: probability of waiting in M/M/c with offered load a = λ/μ (< c).
fn erlang_c(c: u32, a: f64) -> f64 {
    // Erlang B by the stable recursion B(k) = a B(k-1) / (k + a B(k-1)).
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let c = f64::from(c);
    c * b / (c - a * (1.0 - b))
}

/// Mean wait in queue of M/M/c.
fn mmc_wq(lambda: f64, mu: f64, c: u32) -> f64 {
    erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda)
}

/// Mean wait in queue of M/D/1 (Pollaczek–Khinchine with zero service variance).
fn md1_wq(lambda: f64, mu: f64) -> f64 {
    let rho = lambda / mu;
    rho / (2.0 * mu * (1.0 - rho))
}

#[test]
fn exact_formulas_are_right() {
    // The yardsticks themselves, against values from tables.
    assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12); // M/M/1: P(wait) = ρ
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    assert!((erlang_c(3, 2.0) - 4.0 / 9.0).abs() < 1e-12);
    assert!((mmc_wq(0.7, 1.0, 1) - 0.7 / 0.3).abs() < 1e-12);
    assert!((md1_wq(0.5, 1.0) - 0.5).abs() < 1e-12);
}

// ---------------------------------------------------------------------------------------
// M/M/1, λ = 0.7/h, μ = 1/h (ρ = 0.7): mean wait, wait variance, tail of the wait.
// ---------------------------------------------------------------------------------------

const MM1_LAMBDA: f64 = 0.7;
const MM1_MU: f64 = 1.0;
const MM1_TAILS: [f64; 2] = [2.0, 10.0];

fn mm1_spec() -> NetworkSpec {
    NetworkSpec::poisson(
        MM1_LAMBDA,
        vec![StationSpec::exponential(1, MM1_MU).unwrap()],
        // Relaxation time 1 / (μ (1 - √ρ)²) ≈ 37 h: a 1,000 h warm-up is ~27 of them.
        60_000.0,
    )
    .with_warm_up(1_000.0)
    .with_wait_thresholds(MM1_TAILS.to_vec())
}

/// Exact M/M/1 FIFO quantities: (Wq, Var Wq, P(Wq > t) for each t in MM1_TAILS).
fn mm1_exact(lambda: f64, mu: f64) -> (f64, f64, [f64; 2]) {
    let rho = lambda / mu;
    let r = mu - lambda;
    // Wq = 0 with probability 1 - ρ, else Exp(μ - λ): E = ρ/r, E[Wq²] = 2ρ/r².
    let wq = rho / r;
    let var = rho * (2.0 - rho) / (r * r);
    let tails = MM1_TAILS.map(|t| rho * (-r * t).exp());
    (wq, var, tails)
}

#[test]
fn mm1_fifo_mean_variance_and_tail_of_wait() {
    let results = replicate(&mm1_spec(), 1, 40, Fault::None);
    let (wq, var, tails) = mm1_exact(MM1_LAMBDA, MM1_MU);
    let (wq_slow, var_slow, tails_slow) = mm1_exact(MM1_LAMBDA, 0.9 * MM1_MU);
    let (wq_fast, var_fast, tails_fast) = mm1_exact(MM1_LAMBDA, 1.1 * MM1_MU);

    // Wq = 2.333 h. With μ 10% low Wq = 3.889 h (+67%), 10% high 1.591 h (-32%); the
    // interval has a half-width of 1.9% (40 replications × 59,000 h ≈ 1.65 million
    // customers), so the wrong values are 35 and 17 half-widths away, and even a 2% error in
    // μ (Wq = 2.551, +9%) is 4.6 half-widths away.
    let s = summary(&results, |r| r.stations[0].wait.mean());
    check(
        "M/M/1 Wq",
        &s,
        wq,
        &[
            ("mu -10%", wq_slow),
            ("mu +10%", wq_fast),
            ("mu -2%", mmc_wq(MM1_LAMBDA, 0.98, 1)),
        ],
    );

    // Var Wq = 10.11 h². LIFO leaves the mean wait unchanged (work conservation: the same
    // busy periods, customers only reordered) but raises E[Wq²] to E[Wq²]_FIFO / (1 - ρ), so
    // Var Wq = 2ρ/(r²(1-ρ)) - Wq² = 46.4 h², 4.6 times more: see the LIFO test below.
    let s = summary(&results, |r| r.stations[0].wait.variance());
    check(
        "M/M/1 Var Wq",
        &s,
        var,
        &[("mu -10%", var_slow), ("mu +10%", var_fast)],
    );

    // Half-width 4.9%; μ 10% low gives 23.8 h² (27 half-widths away), 10% high 5.42 h² (10).
    // P(Wq > t) = ρ e^{-(μ-λ) t}: 0.3842 at t = 2 h (half-width 1.1%), 0.0348 at t = 10 h
    // (7%); the 10%-off values are 10 to 33 half-widths away.
    for (i, t) in MM1_TAILS.iter().enumerate() {
        let s = summary(&results, |r| r.stations[0].p_wait_above(i));
        check(
            &format!("M/M/1 P(Wq > {t} h)"),
            &s,
            tails[i],
            &[("mu -10%", tails_slow[i]), ("mu +10%", tails_fast[i])],
        );
    }

    // P(wait > 0) = ρ.
    let s = summary(&results, |r| r.stations[0].p_wait());
    check(
        "M/M/1 P(wait)",
        &s,
        MM1_LAMBDA / MM1_MU,
        &[("mu -10%", 0.7 / 0.9)],
    );
}

#[test]
fn mm1_lifo_is_caught_by_variance_and_tail_not_by_mean() {
    // The same model with the queue served last-in first-out: a bug (pop_back for
    // pop_front) that the mean wait cannot see. This test shows that the mean check above
    // would pass for LIFO, while the variance and tail checks fail for it.
    let results = replicate(&mm1_spec(), 1, 40, Fault::Lifo);
    let (wq, var, tails) = mm1_exact(MM1_LAMBDA, MM1_MU);

    let mean = summary(&results, |r| r.stations[0].wait.mean());
    eprintln!(
        "LIFO Wq: {:.4} ± {:.4}, FIFO exact {wq:.4}",
        mean.mean,
        mean.half_width()
    );
    assert!(mean.contains(wq), "LIFO keeps the mean wait: {mean:?}");

    let v = summary(&results, |r| r.stations[0].wait.variance());
    let rho = MM1_LAMBDA / MM1_MU;
    let r = MM1_MU - MM1_LAMBDA;
    let lifo_var = 2.0 * rho / (r * r * (1.0 - rho)) - wq * wq;
    eprintln!(
        "LIFO Var Wq: {:.3} ± {:.3}, FIFO exact {var:.3}, LIFO exact {lifo_var:.3}",
        v.mean,
        v.half_width()
    );
    assert!(
        !v.contains(var),
        "the variance check must reject LIFO: {v:?}"
    );
    assert!(v.ci95_low > 2.0 * var);

    for (i, t) in MM1_TAILS.iter().enumerate() {
        let s = summary(&results, |r| r.stations[0].p_wait_above(i));
        eprintln!(
            "LIFO P(Wq > {t}): {:.4} ± {:.4}, FIFO exact {:.4}",
            s.mean,
            s.half_width(),
            tails[i]
        );
        assert!(
            !s.contains(tails[i]),
            "the tail check must reject LIFO at t = {t}: {s:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// M/M/c (Erlang C): c = 3, λ = 2/h, μ = 1/h (ρ = 2/3).
// ---------------------------------------------------------------------------------------

#[test]
fn mmc_erlang_c_mean_wait_probability_of_waiting_and_utilisation() {
    let (lambda, mu, c) = (2.0, 1.0, 3);
    let spec = NetworkSpec::poisson(
        lambda,
        vec![StationSpec::exponential(c, mu).unwrap()],
        50_000.0,
    )
    .with_warm_up(500.0);
    let results = replicate(&spec, 2, 40, Fault::None);

    // C(3, 2) = 4/9 = 0.4444, Wq = C / (cμ - λ) = 0.4444 h. μ 10% low: C = 0.5535, Wq = 0.7907
    // (+78%); 10% high: C = 0.3626, Wq = 0.2789 (-37%). Half-widths 1.4% (Wq) and 0.5% (C):
    // the wrong values are 26 to 54 half-widths away, a 2% error in μ (Wq = 0.4934) 7.4.
    // A 4-server station (C = 0.1739) would be 130 half-widths away. Busy servers: half-width
    // 0.17%, the 10%-off values 54 and 65 half-widths away.
    let s = summary(&results, |r| r.stations[0].wait.mean());
    check(
        "M/M/3 Wq",
        &s,
        mmc_wq(lambda, mu, c),
        &[
            ("mu -10%", mmc_wq(lambda, 0.9 * mu, c)),
            ("mu +10%", mmc_wq(lambda, 1.1 * mu, c)),
            ("mu -2%", mmc_wq(lambda, 0.98 * mu, c)),
        ],
    );
    let s = summary(&results, |r| r.stations[0].p_wait());
    check(
        "M/M/3 P(wait)",
        &s,
        erlang_c(c, lambda / mu),
        &[
            ("mu -10%", erlang_c(c, lambda / (0.9 * mu))),
            ("mu +10%", erlang_c(c, lambda / (1.1 * mu))),
            ("4 servers", erlang_c(4, lambda / mu)),
        ],
    );
    // Mean busy servers = λ/μ = 2 (a time-weighted statistic against an exact value).
    let s = summary(&results, |r| r.stations[0].mean_busy_servers);
    check(
        "M/M/3 busy servers",
        &s,
        lambda / mu,
        &[
            ("mu -10%", lambda / (0.9 * mu)),
            ("mu +10%", lambda / (1.1 * mu)),
        ],
    );
}

// ---------------------------------------------------------------------------------------
// M/D/1 (Pollaczek–Khinchine): λ = 0.5/h, constant service 1 h.
// ---------------------------------------------------------------------------------------

#[test]
fn md1_pollaczek_khinchine_mean_wait() {
    let (lambda, mu) = (0.5, 1.0);
    let spec = NetworkSpec::poisson(
        lambda,
        vec![StationSpec::deterministic(1, 1.0 / mu).unwrap()],
        100_000.0,
    )
    .with_warm_up(500.0);
    let results = replicate(&spec, 3, 40, Fault::None);
    // Wq = ρ / (2μ(1-ρ)) = 0.5 h. Service 10% longer (μ = 0.909): 0.6722 h (+34%); 10%
    // shorter: 0.3682 h (-26%); exponential service instead of constant (M/M/1): 1.0 h
    // (+100%). Half-width 0.6%: the wrong values are 45 to 170 half-widths away.
    let s = summary(&results, |r| r.stations[0].wait.mean());
    check(
        "M/D/1 Wq",
        &s,
        md1_wq(lambda, mu),
        &[
            ("service +10%", md1_wq(lambda, mu / 1.1)),
            ("service -10%", md1_wq(lambda, mu / 0.9)),
            ("exponential service", mmc_wq(lambda, mu, 1)),
        ],
    );
    // The sojourn adds exactly the constant service time.
    let s = summary(&results, |r| r.stations[0].sojourn.mean());
    check(
        "M/D/1 W",
        &s,
        md1_wq(lambda, mu) + 1.0 / mu,
        &[("service +10%", md1_wq(lambda, mu / 1.1) + 1.1)],
    );
}

// ---------------------------------------------------------------------------------------
// Tandem of two M/M/c stations (Jackson network).
// ---------------------------------------------------------------------------------------

#[test]
fn tandem_jackson_network_sojourn_is_sum_of_station_sojourns() {
    // λ = 2/h; station 1: 3 servers at μ1 = 1/h; station 2: 2 servers at μ2 = 1.5/h.
    // By Burke's theorem the departures of station 1 are Poisson(λ), so station 2 is an
    // M/M/2 in steady state and the mean network sojourn is the sum of the two M/M/c
    // sojourns: W = (0.4444 + 1) + (0.5333 + 0.6667) = 2.6444 h.
    let (lambda, mu1, c1, mu2, c2) = (2.0, 1.0, 3, 1.5, 2);
    let spec = NetworkSpec::poisson(
        lambda,
        vec![
            StationSpec::exponential(c1, mu1).unwrap(),
            StationSpec::exponential(c2, mu2).unwrap(),
        ],
        50_000.0,
    )
    .with_warm_up(500.0);
    let results = replicate(&spec, 4, 40, Fault::None);
    let w =
        |m1: f64, m2: f64| mmc_wq(lambda, m1, c1) + 1.0 / m1 + mmc_wq(lambda, m2, c2) + 1.0 / m2;

    // Station 2 alone: its wait is that of an M/M/2 fed by a Poisson stream. If station 1
    // released customers in batches or at the wrong times, station 2 would wait more.
    let s = summary(&results, |r| r.stations[1].wait.mean());
    check(
        "tandem station 2 Wq",
        &s,
        mmc_wq(lambda, mu2, c2),
        &[
            ("mu2 -10%", mmc_wq(lambda, 0.9 * mu2, c2)),
            ("mu2 +10%", mmc_wq(lambda, 1.1 * mu2, c2)),
        ],
    );
    // Network sojourn: with μ1 10% low W = 3.1018 (+17%), μ2 10% low W = 3.0858 (+17%),
    // against a half-width of 0.36%: 47 to 49 half-widths away (25 to 27 for 10% high).
    // Station 2's wait: half-width 1.1%, the 10%-off values 30 and 61 half-widths away.
    let s = summary(&results, |r| r.sojourn.mean());
    check(
        "tandem network W",
        &s,
        w(mu1, mu2),
        &[
            ("mu1 -10%", w(0.9 * mu1, mu2)),
            ("mu2 -10%", w(mu1, 0.9 * mu2)),
            ("mu1 +10%", w(1.1 * mu1, mu2)),
            ("mu2 +10%", w(mu1, 1.1 * mu2)),
        ],
    );
    // And the per-station sojourns add up to the network sojourn in each replication (the
    // same customers, the same window, up to the customers in between at the ends).
    for r in &results {
        let sum = r.stations[0].sojourn.mean() + r.stations[1].sojourn.mean();
        assert!(
            (sum - r.sojourn.mean()).abs() < 0.005 * r.sojourn.mean(),
            "{sum} vs {}",
            r.sojourn.mean()
        );
    }
}

// ---------------------------------------------------------------------------------------
// Little's law: time averages (TimeWeighted, fed by the calendar's clock) against customer
// averages (Tally, fed by arrival and departure times).
// ---------------------------------------------------------------------------------------

#[test]
fn littles_law_time_averages_match_customer_averages() {
    // Little's law L = λW holds on every sample path, up to the customers present at the two
    // ends of the window; with 20,000 h windows that boundary term is small (measured:
    // |L - λW| / L ≤ 1.1e-3 over 5 quantities × 20 replications, the largest for station 2's
    // short queue). So the check is per replication with a 0.5% tolerance, plus an interval
    // check of L against the exact M/M/c value.
    // What it catches: any disagreement between the clock the calendar reports and the times
    // the model stamps customers with, or a TimeWeighted error. Tried: TimeWeighted weighting
    // each interval by the value set at its end instead of its start gives Lq = 1.532 against
    // λWq = 0.899 at station 1 (a 70% gap, 140 times the tolerance).
    let (lambda, mu1, c1, mu2, c2) = (2.0, 1.0, 3, 1.5, 2);
    let spec = NetworkSpec::poisson(
        lambda,
        vec![
            StationSpec::exponential(c1, mu1).unwrap(),
            StationSpec::exponential(c2, mu2).unwrap(),
        ],
        20_000.0,
    )
    .with_warm_up(500.0);
    let results = replicate(&spec, 5, 20, Fault::None);
    let mut worst: f64 = 0.0;
    for r in &results {
        let lam = r.arrival_rate();
        for st in &r.stations {
            let pairs = [
                (st.mean_in_queue, lam * st.wait.mean()),
                (st.mean_in_system, lam * st.sojourn.mean()),
            ];
            for (l, lw) in pairs {
                let rel = (l - lw).abs() / l;
                worst = worst.max(rel);
                assert!(rel < 0.005, "Little: L = {l}, λW = {lw}");
            }
        }
        let rel = (r.mean_in_network - lam * r.sojourn.mean()).abs() / r.mean_in_network;
        worst = worst.max(rel);
        assert!(
            rel < 0.005,
            "Little (network): L = {}, λW = {}",
            r.mean_in_network,
            lam * r.sojourn.mean()
        );
    }
    eprintln!("Little's law: worst relative gap {worst:.2e}");
    // The time-average queue length against the exact Lq = λ Wq = 0.8889 (M/M/3): half-width
    // 3.5%; with μ1 10% low Lq = 1.5814 (22 half-widths away), 10% high 0.5578 (11).
    let s = summary(&results, |r| r.stations[0].mean_in_queue);
    check(
        "M/M/3 Lq (time average)",
        &s,
        lambda * mmc_wq(lambda, mu1, c1),
        &[
            ("mu1 -10%", lambda * mmc_wq(lambda, 0.9 * mu1, c1)),
            ("mu1 +10%", lambda * mmc_wq(lambda, 1.1 * mu1, c1)),
        ],
    );
}

// ---------------------------------------------------------------------------------------
// Conservation: arrivals = departures + in system, counted independently.
// ---------------------------------------------------------------------------------------

#[test]
fn conservation_holds_and_one_lost_event_breaks_it() {
    let spec = NetworkSpec::poisson(
        2.0,
        vec![
            StationSpec::exponential(3, 1.0).unwrap(),
            StationSpec::exponential(2, 1.5).unwrap(),
        ],
        5_000.0,
    );
    let ok = run_with_fault(&spec, 6, 0, Fault::None).unwrap();
    let c = ok.conservation;
    assert!(c.holds(), "{c:?}");
    assert!(c.arrived > 9_000 && c.departed > 9_000);
    // In system at the end is counted from the queues and from the departure events still
    // pending in the calendar, not from a counter the model keeps: one departure that is
    // never scheduled (the 1,000th service start) leaves a customer on a busy server with no
    // event to free it, and the balance is off by exactly one.
    let lost = run_with_fault(&spec, 6, 0, Fault::LoseDeparture { nth: 1_000 }).unwrap();
    let c = lost.conservation;
    assert!(
        !c.holds(),
        "a lost departure must break conservation: {c:?}"
    );
    assert_eq!(
        c.arrived,
        c.departed + c.waiting + c.in_service + 1,
        "{c:?}"
    );
    assert_eq!(c.busy_servers, c.in_service + 1, "{c:?}");
}
