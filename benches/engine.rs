//! Engine benchmarks.
//!
//! - `hold/N`: the classic hold model. N events are pending; each step pops the earliest
//!   and schedules one new event at now + Exp(mean 1,000,000 ticks), so the calendar stays at
//!   N. Throughput is reported in hold operations (one pop + one schedule) per second.
//! - `mmc`: an M/M/10 station, λ = 8/h, μ = 1/h, over 200,000 simulated hours (about 1.6
//!   million customers, 3.2 million events) with `corridor::queueing`.
//!
//! Quick run while developing:
//! `cargo bench --bench engine -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use corridor::engine::{Calendar, StreamFactory};
use corridor::queueing::{NetworkSpec, StationSpec, run};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_distr::{Distribution, Exp};

/// Hold operations timed per criterion iteration.
const STEPS: u64 = 100_000;
const MEAN_TICKS: f64 = 1_000_000.0;

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    group.throughput(Throughput::Elements(STEPS));
    for &n in &[10usize, 1_000, 100_000] {
        let exp = Exp::new(1.0 / MEAN_TICKS).unwrap();
        let mut rng = StreamFactory::new(1, 0).named("bench/hold");
        let mut cal: Calendar<u32> = Calendar::with_capacity(n + 1);
        for i in 0..n {
            let d = exp.sample(&mut rng) as u64;
            cal.schedule_in(d, i as u32);
        }
        // Reach the steady-state distribution of pending times before measuring.
        for _ in 0..(4 * n).max(10_000) {
            let (_, e) = cal.pop().unwrap();
            let d = exp.sample(&mut rng) as u64;
            cal.schedule_in(d, e);
        }
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                for _ in 0..STEPS {
                    let (_, e) = cal.pop().unwrap();
                    let d = exp.sample(&mut rng) as u64;
                    cal.schedule_in(d, e);
                }
                black_box(cal.now())
            })
        });
        assert_eq!(cal.len(), n);
    }
    group.finish();
}

/// The M/M/c benchmark model, shared with `examples/mmc.rs`.
fn mmc_spec() -> NetworkSpec {
    NetworkSpec::poisson(
        8.0,
        vec![StationSpec::exponential(10, 1.0).unwrap()],
        200_000.0,
    )
}

fn mmc(c: &mut Criterion) {
    let spec = mmc_spec();
    let probe = run(&spec, 1, 0).unwrap();
    let mut group = c.benchmark_group("mmc");
    group.sample_size(10);
    group.throughput(Throughput::Elements(probe.events));
    group.bench_function("lambda8_mu1_c10_200000h", |b| {
        b.iter(|| black_box(run(&spec, 1, 0).unwrap().stations[0].wait.mean()))
    });
    group.finish();
}

criterion_group!(benches, hold, mmc);
criterion_main!(benches);
