//! `applinks`: the server and its command line.
//!
//! `applinks serve` runs the server; `applinks user …` manages local users against the same
//! database, safely while a server runs; `applinks link …` administers a running server's links
//! through its REST API. Messages for people go to standard output and errors to standard
//! error; logs are `tracing` lines on standard error.
//!
//! Exit codes: 0 success, 1 failure (the message says why), 2 invalid usage.

mod link;
mod serve;
mod settings;
mod user;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Application links between web applications: discovery, OAuth 1.0a, and the link wizard.
#[derive(Debug, Parser)]
#[command(name = "applinks", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
    /// Manage local users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Administer the links of a running server through its REST API.
    Link(link::LinkArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::User(command) => user::run(command).await,
            Command::Link(args) => link::run(args).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
