//! Ctrl-C. The first press asks the work to stop: no new notebook starts, a package being
//! written is dropped before it is moved into place, and what was finished stays whole. A
//! second press stops at once.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler; without one (another handler exists), Ctrl-C keeps its default.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
