//! The `jianxin` binary: see `jianxin --help` and `jianxin_api::cli`.

/// mimalloc rather than glibc's malloc: the service and the CLI make and free many small
/// values, often across threads (the SQLite workers and the runtime's), which glibc's
/// arenas serve slowly (root `Cargo.toml`, docs/PERFORMANCE.md "Case replay").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    jianxin_api::cli::main()
}
