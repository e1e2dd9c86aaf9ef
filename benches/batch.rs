//! Batch scaling and overhead, measured once per configuration (a replication of
//! ebrd-2040 takes seconds, so criterion's ten samples per point would take many minutes):
//!
//! - scaling: 8 replications of ebrd-2040 with 1 and with 2 threads; goal: 2 threads at
//!   least 1.8 times faster than 1;
//! - overhead: the same 8 replications through `study::run_jobs` writing every output file,
//!   against the bare simulations; goal: under 5 %.
//!
//! Run with `cargo bench --bench batch`. Prints the wall times and ratios.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use corridor::batch::{BatchOptions, Job};
use corridor::model::Model;
use corridor::study::run_jobs;

fn main() {
    // `cargo bench` passes `--bench`; anything else (e.g. a filter) is ignored here.
    let reps: u64 = std::env::var("CORRIDOR_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let loaded =
        corridor::scenario::load(Path::new("scenarios/ebrd-2040.toml")).expect("scenario loads");
    let model = Arc::new(Model::build(&loaded.file).expect("scenario builds"));
    let job = Job {
        scenario: "ebrd-2040".into(),
        scenario_hash: loaded.hash.clone(),
        seed: model.seed(),
        replications: reps,
        targets: corridor::scenario::target::targets(&loaded.file),
        sim: model.clone(),
    };
    let run = |threads: usize, out: Option<&Path>| {
        let opts = BatchOptions {
            jobs_threads: threads,
            out_dir: out.map(Path::to_path_buf),
            force: true,
            ..Default::default()
        };
        let t = Instant::now();
        run_jobs(std::slice::from_ref(&job), &opts, &|_| {}).expect("batch runs");
        t.elapsed().as_secs_f64()
    };
    let bare = {
        let t = Instant::now();
        for r in 0..reps {
            std::hint::black_box(model.run(r));
        }
        t.elapsed().as_secs_f64()
    };
    let one = run(1, None);
    let two = run(2, None);
    let dir = std::env::temp_dir().join(format!("corridor-bench-{}", std::process::id()));
    let one_written = run(1, Some(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    println!("ebrd-2040, {reps} replications");
    println!("  bare simulations, 1 thread      {bare:8.2} s");
    println!("  run_batch, 1 thread, in memory  {one:8.2} s");
    println!(
        "  run_batch, 2 threads, in memory {two:8.2} s   speed-up {:.2}x (goal >= 1.8x)",
        one / two
    );
    println!(
        "  run_batch, 1 thread, all files  {one_written:8.2} s   overhead vs bare {:+.1}% (goal < 5%)",
        (one_written / bare - 1.0) * 100.0
    );
}
