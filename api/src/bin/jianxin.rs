//! The `jianxin` binary: see `jianxin --help` and `jianxin_api::cli`.

fn main() -> std::process::ExitCode {
    jianxin_api::cli::main()
}
