//! The command line: `wafscope serve | user | token`, parsed by clap, and their dispatch.
//!
//! Every serve option is also a `WAFSCOPE_*` environment variable and a key of the TOML file
//! named by `--config`; precedence is flags > environment > file > defaults (see `config`).

use crate::admin::{self, AdminRequest};
use crate::config::{Config, ConfigFlags};
use crate::store::{Store, StoreError};
use anyhow::Context;
use app::model::Role;
use clap::{Args, Parser, Subcommand};
use std::collections::HashMap;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

/// wafscope: a console for ModSecurity, libmodsecurity 3 and Coraza WAF events.
#[derive(Debug, Parser)]
#[command(name = "wafscope", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Data directory holding the database (created on first run).
    /// [env: WAFSCOPE_DATA_DIR] [config: data_dir] [default: ./wafscope-data]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// TOML file with any of the keys listen, data_dir, session_hours.
    /// [env: WAFSCOPE_CONFIG]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the console: web UI, read API and (soon) sensor ingest.
    Serve(ServeArgs),
    /// Manage console users (works while `serve` runs).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API bearer tokens for automation (works while `serve` runs).
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 0.0.0.0:8886 or [::]:8886.
    /// [env: WAFSCOPE_LISTEN] [config: listen] [default: 127.0.0.1:8886]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Hours a browser session stays valid (1-8760).
    /// [env: WAFSCOPE_SESSION_HOURS] [config: session_hours] [default: 12]
    #[arg(long, value_name = "HOURS")]
    pub session_hours: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; prints a generated password unless --password-stdin is given.
    Add {
        name: String,
        /// viewer (read only), analyst (triage) or admin (everything).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Read the password from standard input (first line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users and their roles.
    List,
    /// Remove a user and end their sessions.
    Remove { name: String },
    /// Set a new password (generated unless --password-stdin) and end the user's sessions.
    Passwd {
        name: String,
        /// Read the password from standard input (first line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; the secret is printed once, alone on the last line.
    Create {
        name: String,
        /// viewer, analyst or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List tokens (names and roles, never secrets).
    List,
    /// Revoke a token.
    Revoke { name: String },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

/// Parses the command line and runs it; the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("wafscope: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let (flags, serve_args) = match &cli.command {
        Command::Serve(args) => (
            ConfigFlags { listen: args.listen.clone(), data_dir: cli.global.data_dir.clone(), session_hours: args.session_hours },
            true,
        ),
        _ => (ConfigFlags { data_dir: cli.global.data_dir.clone(), ..ConfigFlags::default() }, false),
    };
    let config_path = cli.global.config.clone().or_else(|| env.get("WAFSCOPE_CONFIG").map(PathBuf::from));
    let file_text = match &config_path {
        Some(path) => Some(std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?),
        None => None,
    };
    let config = Config::from_sources(&flags, &env, file_text.as_deref())?;
    crate::telemetry::init(&env);
    for name in crate::config::unknown_env_vars(&env) {
        tracing::warn!(variable = %name, "unknown WAFSCOPE_ environment variable ignored");
    }
    if serve_args {
        return crate::serve::run(config).map(|()| ExitCode::SUCCESS);
    }
    let request = match cli.command {
        Command::Serve(_) => unreachable!("handled above"),
        Command::User(UserCommand::Add { name, role, password_stdin }) => {
            AdminRequest::UserAdd { name, role, password: read_password(password_stdin)? }
        }
        Command::User(UserCommand::List) => AdminRequest::UserList,
        Command::User(UserCommand::Remove { name }) => AdminRequest::UserRemove { name },
        Command::User(UserCommand::Passwd { name, password_stdin }) => {
            AdminRequest::UserPasswd { name, password: read_password(password_stdin)? }
        }
        Command::Token(TokenCommand::Create { name, role }) => AdminRequest::TokenCreate { name, role },
        Command::Token(TokenCommand::List) => AdminRequest::TokenList,
        Command::Token(TokenCommand::Revoke { name }) => AdminRequest::TokenRevoke { name },
    };
    let outcome = match Store::open(&config.data_dir) {
        Ok(store) => admin::execute(&store, request),
        Err(StoreError::Locked(_)) => admin::socket::send(&config.data_dir, &request).map_err(anyhow::Error::msg)?,
        Err(error) => return Err(error).context(format!("opening data dir {}", config.data_dir.display())),
    };
    match outcome {
        Ok(text) => {
            println!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(message) => {
            eprintln!("wafscope: {message}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The first line of standard input when `--password-stdin` was given.
fn read_password(from_stdin: bool) -> anyhow::Result<Option<String>> {
    if !from_stdin {
        return Ok(None);
    }
    if std::io::stdin().is_terminal() {
        eprint!("password: ");
    }
    let mut text = String::new();
    std::io::stdin().take(4096).read_to_string(&mut text).context("reading the password from stdin")?;
    let password = text.lines().next().unwrap_or_default().to_owned();
    anyhow::ensure!(!password.is_empty(), "--password-stdin: standard input had no password");
    Ok(Some(password))
}
