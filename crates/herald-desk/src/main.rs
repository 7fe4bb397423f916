//! `herald`: Herald in the tray. The engine, the notifications, the tray
//! and the socket, in a process with no GTK and no WebKit; the window is
//! `herald-window`, started when it is wanted.

use clap::Parser;
use herald_desk::options::{take_server_token, Options};

/// Info and up; the platform verifier's own log of a refused certificate is
/// left out, because Herald reports that refusal itself, with the fix.
const DEFAULT_LOG: &str = "info,rustls_platform_verifier=off";

fn main() -> std::process::ExitCode {
    // Before any thread starts: the token leaves the environment for the keyring.
    let token = take_server_token();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| DEFAULT_LOG.into()))
        .init();
    let options = Options::parse();
    if let Some(dir) = &options.man_pages {
        return match herald_desk::options::man_pages(dir) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let run = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(herald_desk::daemon::run(options, token)));
    match run {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
