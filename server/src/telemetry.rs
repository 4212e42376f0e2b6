//! Log setup: `tracing` to stderr, filter from `WAFSCOPE_LOG` or `RUST_LOG`.
//!
//! Invariant: nothing logs request bodies, audit data or credentials; log ids, sizes, counts.

use std::collections::HashMap;
use tracing_subscriber::EnvFilter;

/// Default filter: our crates at info, HTTP request spans at info, the rest at warn.
pub const DEFAULT_FILTER: &str = "warn,server=info,tower_http=info";

/// Installs the global subscriber (a second call is a no-op, which tests rely on).
pub fn init(env: &HashMap<String, String>) {
    let directives = env.get("WAFSCOPE_LOG").or_else(|| env.get("RUST_LOG")).cloned().unwrap_or_else(|| DEFAULT_FILTER.to_owned());
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
