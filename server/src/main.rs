//! The `wafscope` binary: see `wafscope --help`.

/// mimalloc instead of glibc's malloc: ingest allocates and frees many body-sized buffers
/// across threads, where glibc spent ~17 % of the server's CPU (arena locks, consolidation,
/// page faults on re-grown heaps); see `cargo xtask bench ingest`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    server::cli::main()
}
