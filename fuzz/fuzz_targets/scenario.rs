//! Fuzz target: arbitrary bytes as a scenario file → load (parse, `extends`, deserialise,
//! validate) → if valid, build the model and simulate one short replication.
//!
//! What counts as a failure: any panic, abort, stack overflow, out-of-memory or timeout,
//! anywhere; a scenario that validation accepts but `Model::build` rejects (validation
//! must catch everything the model needs); and a replication that breaks TEU conservation.
//! A guard-rail stop (`RunError`) is an accepted outcome. To keep each execution fast the
//! horizon is clamped to one or two years, the warm-up to 60 days and every flow to
//! 20,000 TEU a year (after loading, then validated again), so what is fuzzed beyond the
//! loader is the model's logic, not its speed on big inputs.

#![no_main]

use std::path::PathBuf;

use corridor::model::Model;
use corridor::scenario::{load::load_bytes, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Named as if it sat in scenarios/, so that `extends = "baseline-2025.toml"` resolves
    // to a real base file and the merge code is exercised too.
    let name = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/fuzz-input.toml");
    let Ok(loaded) = load_bytes(data, &name) else {
        return;
    };
    let mut file = loaded.file;
    let first = file.run.first_year;
    file.run.last_year = file.run.last_year.min(first.saturating_add(1));
    file.run.warmup_days = file.run.warmup_days.min(60.0);
    file.run.replications = 1;
    for f in &mut file.flows {
        for v in f.teu_per_year.values_mut() {
            *v = v.min(20_000.0);
        }
    }
    if !validate(&file).is_empty() {
        return; // clamping moved a date or a target out of the horizon
    }
    let model = match Model::build(&file) {
        Ok(m) => m,
        Err(e) => panic!("validation accepted a scenario the model rejects: {e}"),
    };
    if let Ok(r) = model.try_run(0) {
        assert!(
            r.conservation.holds(),
            "TEU conservation broken: {:?}",
            r.conservation
        );
    }
});
