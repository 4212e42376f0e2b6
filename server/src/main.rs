//! The `wafscope` binary: see `wafscope --help`.

fn main() -> std::process::ExitCode {
    server::cli::main()
}
