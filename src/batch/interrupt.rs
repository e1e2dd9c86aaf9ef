//! Stopping a batch cleanly on Ctrl-C (SIGINT) and on SIGTERM, what Slurm, Kubernetes and
//! `timeout` send before they kill: a cancellation flag that `batch::run` reads before
//! starting each replication.
//!
//! An interrupted batch starts no new replication, lets the ones in progress finish and be
//! persisted (each replication file is written atomically, so none is ever torn), writes no
//! summary, and returns `BatchError::Interrupted`, whose message says how many replications
//! are kept and to rerun with `--resume`. The CLI exits with 128 + the signal's number, what
//! shells report for a process killed by it: 130 for SIGINT, 143 for SIGTERM. A second
//! signal exits at once with that code: the replications in progress are lost, everything
//! persisted before stays valid (a temporary file it leaves is deleted by the next run).
//!
//! The flag is process-wide because a signal is; library callers that want to cancel a
//! batch themselves pass their own flag to `study::run_jobs_with_cancel` instead. This module
//! must never do anything in the signal handler itself but set flags: the message is
//! printed by a thread of its own.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};

/// Exit code of a process stopped by SIGINT, by shell convention (128 + 2).
pub const EXIT_INTERRUPTED: u8 = 130;

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
/// The number of the first signal received (0: none yet).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

fn name_of(sig: i32) -> &'static str {
    match sig {
        SIGTERM => "SIGTERM",
        _ => "SIGINT (Ctrl-C)",
    }
}

/// Installs the handlers of SIGINT and SIGTERM (once per process; later calls return the
/// same flag) and returns the flag they set. From then on every batch run in this process
/// stops starting replications once the flag is set.
///
/// If the handlers cannot be installed, the flag is still returned and simply never set by
/// a signal: the signals then keep their default effect.
pub fn install_signal_handlers() -> Arc<AtomicBool> {
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        install(Arc::clone(&flag));
        flag
    })
    .clone()
}

/// The former name of `install_signal_handlers`, which now covers SIGTERM too.
pub fn install_sigint_handler() -> Arc<AtomicBool> {
    install_signal_handlers()
}

fn on_signal(flag: &AtomicBool, sig: i32) {
    if flag.swap(true, Ordering::SeqCst) {
        // Asked twice: do not make them wait for long replications.
        let first = SIGNAL.load(Ordering::SeqCst);
        std::process::exit(128 + if first != 0 { first } else { sig });
    }
    SIGNAL.store(sig, Ordering::SeqCst);
    // The batch runs on other threads, so this one line is the only feedback until the
    // replications in progress finish.
    eprintln!(
        "\n{}: finishing the replications in progress, then stopping (send it again to stop at once)",
        name_of(sig)
    );
}

#[cfg(unix)]
fn install(flag: Arc<AtomicBool>) {
    use signal_hook::iterator::Signals;
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("corridor-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                on_signal(&flag, sig);
            }
        });
}

#[cfg(not(unix))]
fn install(flag: Arc<AtomicBool>) {
    let _ = ctrlc::set_handler(move || on_signal(&flag, SIGINT));
}

/// The flag of the installed handlers, if `install_signal_handlers` was called.
pub fn installed() -> Option<Arc<AtomicBool>> {
    FLAG.get().cloned()
}

/// The exit code for an interrupted batch: 128 + the number of the signal received
/// (130 when none was, e.g. a library caller's own flag).
pub fn exit_code() -> u8 {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => EXIT_INTERRUPTED,
        s => u8::try_from(128 + s).unwrap_or(EXIT_INTERRUPTED),
    }
}

/// The signal received, for messages ("SIGTERM"), if any.
pub fn received() -> Option<&'static str> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(name_of(s)),
    }
}

/// True once an interruption was requested through `flag`.
pub(crate) fn requested(flag: Option<&AtomicBool>) -> bool {
    flag.is_some_and(|f| f.load(Ordering::Relaxed))
}
