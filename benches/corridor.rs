//! Corridor benchmarks: one replication of the bundled scenarios, the largest being
//! `ebrd-2040` (2025–2040, about 7.9 million TEU created). Goal: under 2 s for ebrd-2040 on
//! one core (docs/performance.md). Run with `cargo bench --bench corridor`.

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use corridor::model::Model;

fn model(file: &str) -> Model {
    let loaded = corridor::scenario::load(Path::new(file)).expect("bundled scenario loads");
    Model::build(&loaded.file).expect("bundled scenario builds")
}

fn one_replication(c: &mut Criterion) {
    let mut g = c.benchmark_group("corridor/one_replication");
    g.sample_size(10).measurement_time(Duration::from_secs(40));
    for name in ["baseline-2025", "aktau-hub-2028", "ebrd-2040"] {
        let m = model(&format!("scenarios/{name}.toml"));
        // Throughput in TEU created, so that scenarios of different size compare.
        let teu = m.run(0).conservation.created_teu;
        g.throughput(Throughput::Elements(teu as u64));
        g.bench_function(name, |b| b.iter(|| std::hint::black_box(m.run(0))));
    }
    g.finish();
}

criterion_group!(benches, one_replication);
criterion_main!(benches);
