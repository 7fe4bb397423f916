// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use clap::Parser;

/// Info and up; the platform verifier's own log of a refused certificate is
/// left out, because Herald reports that refusal itself, with the fix.
const DEFAULT_LOG: &str = "info,rustls_platform_verifier=off";

fn main() -> std::process::ExitCode {
    // Before any thread starts: the token leaves the environment for the keyring.
    let token = herald_app::take_server_token();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| DEFAULT_LOG.into()))
        .init();
    match herald_app::main(herald_app::Options::parse(), token) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
