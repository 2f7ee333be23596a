//! `countersign-authenticator`: activate against a Countersign server,
//! follow and answer sign-in requests, show offline codes.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// The reference Countersign authenticator.
#[derive(Debug, Parser)]
#[command(
    name = "countersign-authenticator",
    version,
    about,
    after_help = "Exit status: 0 done; 1 error; 3 the server refused the answer (e.g. approve not accepted)."
)]
struct Cli {
    /// The store file (device key, server, account). Created with mode 0600.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "COUNTERSIGN_AUTHENTICATOR_STORE"
    )]
    store: Option<PathBuf>,
    /// Print JSON (one object per line) for scripts.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Activate this authenticator with the link from the activation QR
    /// (countersign://activate?...) or with --url and --code.
    Activate(ActivateArgs),
    /// Follow sign-in requests as they come, printing each (and answering
    /// with --auto).
    Watch(WatchArgs),
    /// List the sign-in requests waiting for an answer.
    Pending,
    /// Approve a sign-in request.
    Approve(ApproveArgs),
    /// Deny a sign-in request.
    Deny(IdArg),
    /// Deny a sign-in request and report it as fraud (it was not you).
    Fraud(IdArg),
    /// Print the current offline code (TOTP); works without the network.
    Code,
}

#[derive(Debug, Args)]
struct ActivateArgs {
    /// The activation link (countersign://activate?url=..&code=..).
    #[arg(conflicts_with_all = ["url", "code"], required_unless_present_all = ["url", "code"])]
    uri: Option<String>,
    /// The server URL, with --code, when there is no link.
    #[arg(long, requires = "code")]
    url: Option<String>,
    /// The 16-digit activation code (spaces allowed), with --url.
    #[arg(long, requires = "url")]
    code: Option<String>,
    /// The server's key pin (sha256/...), with --url, to trust exactly that key.
    #[arg(long, value_name = "sha256/BASE64", requires = "url")]
    tls_pin: Option<String>,
    /// The name the server shows for this device.
    #[arg(long)]
    name: Option<String>,
    /// The PIN, when the user's policy asks for one.
    #[arg(long)]
    pin: Option<String>,
    /// Replace a store that already holds an activation.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
struct WatchArgs {
    /// Answer every request automatically.
    #[arg(long, value_enum)]
    auto: Option<cli::AutoAnswer>,
    /// The number shown on the sign-in screen (number matching), for --auto approve.
    #[arg(long)]
    number: Option<u32>,
    /// The PIN, for --auto approve in PIN mode.
    #[arg(long)]
    pin: Option<String>,
    /// Exit after the first request is handled.
    #[arg(long)]
    once: bool,
}

#[derive(Debug, Args)]
struct ApproveArgs {
    /// The request id (from watch or pending).
    id: String,
    /// The number shown on the sign-in screen (number matching).
    #[arg(long)]
    number: Option<u32>,
    /// The PIN (PIN mode).
    #[arg(long)]
    pin: Option<String>,
}

#[derive(Debug, Args)]
struct IdArg {
    /// The request id (from watch or pending).
    id: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let out = cli::Output { json: cli.json };
    let store = cli::store_path(cli.store)?;
    match cli.command {
        Command::Activate(a) => {
            let how = cli::activate::How {
                uri: a.uri,
                url: a.url,
                code: a.code,
                tls_pin: a.tls_pin,
                name: a.name,
                pin: a.pin,
                force: a.force,
            };
            cli::activate::run(&store, how, out).await
        }
        Command::Watch(w) => {
            let how = cli::watch::How {
                auto: w.auto,
                number: w.number,
                pin: w.pin,
                once: w.once,
            };
            cli::watch::run(&store, how, out).await
        }
        Command::Pending => cli::answer::pending(&store, out).await,
        Command::Approve(a) => {
            cli::answer::approve(&store, &a.id, a.number, a.pin.as_deref(), out).await
        }
        Command::Deny(a) => cli::answer::deny_or_fraud(&store, &a.id, false, out).await,
        Command::Fraud(a) => cli::answer::deny_or_fraud(&store, &a.id, true, out).await,
        Command::Code => cli::code::run(&store, out),
    }
}
