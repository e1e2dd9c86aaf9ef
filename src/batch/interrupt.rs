//! Stopping a batch cleanly on Ctrl-C (SIGINT): a cancellation flag that `run_batch` reads
//! before starting each replication.
//!
//! An interrupted batch starts no new replication, lets the ones in progress finish and be
//! persisted (each replication file is written atomically, so none is ever torn), writes no
//! summary, and returns `BatchError::Interrupted`, whose message says how many replications
//! are kept and to rerun with `--resume`. The CLI maps it to exit code 130 (128 + SIGINT,
//! what shells report for a process killed by Ctrl-C). A second Ctrl-C exits at once with
//! 130: the replications in progress are lost, everything persisted before stays valid.
//!
//! The flag is process-wide because a signal is; library callers that want to cancel a
//! batch themselves pass their own flag to `run_batch_with_cancel` instead.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Exit code of a process stopped by SIGINT, by shell convention (128 + 2).
pub const EXIT_INTERRUPTED: u8 = 130;

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Installs the Ctrl-C handler (once per process; later calls return the same flag) and
/// returns the flag it sets. From then on every `run_batch` in this process stops starting
/// replications once the flag is set.
///
/// If the handler cannot be installed (another handler owns the signal), the flag is still
/// returned and simply never set by a signal: Ctrl-C then keeps its default effect.
pub fn install_sigint_handler() -> Arc<AtomicBool> {
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&flag);
        let _ = ctrlc::set_handler(move || {
            if seen.swap(true, Ordering::SeqCst) {
                // The user asked twice: do not make them wait for long replications.
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            // The handler runs on its own thread, not inside the batch, so this one line
            // is the only feedback until the replications in progress finish.
            eprintln!(
                "\ninterrupted: finishing the replications in progress, then stopping (Ctrl-C again to stop at once)"
            );
        });
        flag
    })
    .clone()
}

/// The flag of the installed handler, if `install_sigint_handler` was called.
pub fn installed() -> Option<Arc<AtomicBool>> {
    FLAG.get().cloned()
}

/// True once an interruption was requested through `flag`.
pub(crate) fn requested(flag: Option<&AtomicBool>) -> bool {
    flag.is_some_and(|f| f.load(Ordering::Relaxed))
}
