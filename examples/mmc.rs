//! The M/M/c benchmark model run once, for comparison with other simulators
//! (`benches/peers/run.sh`): λ = 8/h, μ = 1/h, c = 10, no warm-up, 200,000 simulated hours
//! (about 1.6 million customers) unless a horizon in hours is given as the first argument.
//!
//! `cargo run --release --example mmc [HORIZON_HOURS]`

use std::time::Instant;

use corridor::queueing::{NetworkSpec, StationSpec, run};

fn main() {
    let horizon: f64 = match std::env::args().nth(1) {
        None => 200_000.0,
        Some(a) => match a.parse() {
            Ok(h) => h,
            Err(_) => {
                eprintln!("mmc: the horizon must be a number of hours, got {a:?}");
                std::process::exit(2);
            }
        },
    };
    let station = StationSpec::exponential(10, 1.0).expect("valid service rate");
    let spec = NetworkSpec::poisson(8.0, vec![station], horizon);
    let start = Instant::now();
    let result = match run(&spec, 1, 0) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mmc: {e}");
            std::process::exit(2);
        }
    };
    let wall = start.elapsed().as_secs_f64();
    let s = &result.stations[0];
    println!("simulator=corridor");
    println!("horizon_h={horizon}");
    println!("mean_wait_h={:.5}", s.wait.mean());
    println!("customers={}", s.wait.count());
    println!("events={}", result.events);
    println!("wall_s={wall:.4}");
}
