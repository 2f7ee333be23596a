//! `countersign`: the multi-factor authentication server and its operator CLI.

mod app;
mod audit_retention;
mod audit_stream;
mod backup;
mod cli;
mod config;
mod directory;
mod doctor;
mod health;
mod http;
mod ldap;
mod logging;
mod messaging;
mod radius;
mod secret_key;
mod serve;

/// mimalloc: per-thread free lists; the verification hot path spent ~12% of
/// its CPU in glibc malloc/free (docs/benchmarks.md, issue 10).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
mod tls;
mod voice;
mod webpush;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cli::{
    AdminCommand, ApiKeyCommand, AuditCommand, DeviceCommand, DirectoryCommand, MessageCommand,
    OidcCommand, RadiusCommand, RuleCommand, SettingsCommand, TlsCommand, TokenCommand,
    UserCommand,
};
use crate::config::{Config, Overrides};

#[derive(Debug, Parser)]
#[command(
    name = "countersign",
    version,
    about = "Self-hosted multi-factor authentication server"
)]
struct Cli {
    /// Configuration file (TOML). Without one, safe defaults on SQLite.
    #[arg(long, global = true, env = "COUNTERSIGN_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory for the SQLite database and the encryption key [default: ./countersign-data].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Print results as JSON, for scripts.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address and port to listen on [default: 127.0.0.1:8080].
        #[arg(long)]
        listen: Option<String>,
    },
    /// Apply database migrations (serve also does it at start).
    Migrate {
        /// Only show which migrations are applied.
        #[arg(long)]
        status: bool,
    },
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// API keys for applications and scripts.
    #[command(subcommand)]
    Apikey(ApiKeyCommand),
    /// Console administrators (admin, helpdesk, auditor).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The sign-in policy kept in the store (also the console's settings page).
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Sign-in rules: who must prove what, where (docs/policy.md).
    #[command(subcommand)]
    Rule(RuleCommand),
    /// Users from Active Directory or LDAP: sync now, or the last run.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Groups of users: local ones (add, remove, members) and the directory's (read-only).
    #[command(subcommand)]
    Group(cli::GroupCommand),
    /// OATH tokens (authenticator apps, hardware tokens).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Authenticator devices: activation codes, list, remove.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// The email and SMS outbox.
    #[command(subcommand)]
    Message(MessageCommand),
    /// The audit trail: list it, export it (CSV or JSON lines).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// RADIUS clients.
    #[command(subcommand)]
    Radius(RadiusCommand),
    /// The OpenID Provider: clients (relying parties) and signing keys.
    #[command(subcommand)]
    Oidc(OidcCommand),
    /// Certificates for HTTPS.
    #[command(subcommand)]
    Tls(TlsCommand),
    /// Phone calls: `voice test NUMBER` places one and reports it.
    #[command(subcommand)]
    Voice(voice::cli::VoiceCommand),
    /// Check the set-up: certificates, TLS, clock, database. Exits non-zero on FAIL.
    Doctor,
    /// Exit 0 when this node's listener answers /healthz (container health checks).
    Health,
    /// Check a code for a user, as an application would.
    Verify { username: String, code: String },
    /// Copy the database and the encryption key into FILE while the server runs.
    Backup {
        /// The backup file to write (never overwritten).
        file: PathBuf,
        /// Seal the key in the backup with the passphrase in this file (12 characters or more).
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// Only the key (PostgreSQL: pg_dump holds the data); records the backup for doctor.
        #[arg(long)]
        key_only: bool,
    },
    /// Put a backup's database and key into the data directory (the server stopped).
    Restore {
        /// The backup file made by `countersign backup`.
        file: PathBuf,
        /// The passphrase file the key was sealed with.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// Replace a database (and key) already in the data directory.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the full documented configuration file.
    Example,
    /// Load the configuration and report every problem.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
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
    // The example needs no configuration, so a broken one cannot hide it.
    if let Command::Config(ConfigCommand::Example) = cli.command {
        print!("{}", config::schema::example());
        return Ok(ExitCode::SUCCESS);
    }
    let config = config::load(&overrides(&cli))?;
    let out = cli::Output { json: cli.json };
    match cli.command {
        Command::Tls(command) => cli::tls(command, &config.data_dir, &out),
        Command::Voice(command) => {
            logging::init("warn", config.log_json);
            voice::cli::voice(command, &config, &out).await
        }
        Command::Health => health::check(&config).await,
        Command::Doctor => {
            logging::init("error", config.log_json);
            doctor::report(config, cli.json).await
        }
        command => run_logged(command, config, &out).await,
    }
}

/// The global flags as the configuration's last layer; `serve --listen` too.
fn overrides(cli: &Cli) -> Overrides {
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        _ => None,
    };
    Overrides {
        config_file: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        listen,
    }
}

/// The commands that log: `serve` at the configured level, the others only
/// warnings. Those that do not need the store open run here.
async fn run_logged(
    command: Command,
    config: Config,
    out: &cli::Output,
) -> anyhow::Result<ExitCode> {
    let serving = matches!(command, Command::Serve { .. });
    // The CLI keeps standard error quiet unless something is wrong.
    logging::init(
        if serving { &config.log_level } else { "warn" },
        config.log_json,
    );
    match command {
        Command::Config(ConfigCommand::Check) => {
            println!(
                "configuration is valid (database: {})",
                countersign_store::connect::redact(&config.database_url)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup {
            file,
            passphrase_file,
            key_only,
        } => {
            let args = backup::BackupArgs {
                file,
                passphrase_file,
                key_only,
            };
            backup::backup(&config, args, out).await
        }
        Command::Restore {
            file,
            passphrase_file,
            force,
        } => {
            let args = backup::RestoreArgs {
                file,
                passphrase_file,
                force,
            };
            backup::restore(&config, args, out).await
        }
        command => run_with_app(command, config, out).await,
    }
}

/// The commands that work on the opened store (migrated on the way), and
/// `serve`.
async fn run_with_app(
    command: Command,
    config: Config,
    out: &cli::Output,
) -> anyhow::Result<ExitCode> {
    let app = app::App::open(config).await?;
    match command {
        Command::Serve { .. } => serve::run(app).await.map(|_| ExitCode::SUCCESS),
        Command::Migrate { status } => cli::migrate(&app, status, out).await,
        Command::Apikey(command) => cli::apikey(&app, command, out).await,
        Command::Admin(command) => cli::admin(&app, command, out).await,
        Command::Settings(command) => cli::settings(&app, command, out).await,
        Command::Rule(command) => cli::rule(&app, command, out).await,
        Command::User(command) => cli::user(&app, command, out).await,
        Command::Group(command) => cli::group(&app, command, out).await,
        Command::Directory(command) => cli::directory(&app, command, out).await,
        Command::Token(command) => cli::token(&app, command, out).await,
        Command::Message(command) => cli::message(&app, command, out).await,
        Command::Audit(command) => cli::audit(&app, command, out).await,
        Command::Device(command) => cli::device(&app, command, out).await,
        Command::Radius(command) => cli::radius(&app, command, out).await,
        Command::Oidc(command) => cli::oidc(&app, command, out).await,
        Command::Verify { username, code } => cli::verify(&app, &username, &code, out).await,
        // Handled before the store is opened.
        Command::Config(_)
        | Command::Tls(_)
        | Command::Voice(_)
        | Command::Doctor
        | Command::Health
        | Command::Backup { .. }
        | Command::Restore { .. } => Ok(ExitCode::SUCCESS),
    }
}
