//! `applinks user add|list|passwd`: local users, straight in the database, safe while a server
//! uses the same database.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::{Context as _, bail};
use applinks_core::store::{SessionStore, StoreError, UserStore};
use applinks_core::user::{NewUser, Username};
use applinks_server::password;
use clap::{Args, Subcommand};

use crate::settings::{FileConfig, Storage, StorageArgs};

/// The `user` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user.
    Add(AddArgs),
    /// List users.
    List(ListArgs),
    /// Change a user's password; their sessions end.
    Passwd(PasswdArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// The user name (letters, digits and . _ - @ +).
    name: String,
    /// The name shown to people.
    #[arg(long)]
    display_name: Option<String>,
    /// The e-mail address.
    #[arg(long)]
    email: Option<String>,
    /// Make the user an administrator.
    #[arg(long)]
    admin: bool,
    #[command(flatten)]
    password: PasswordArgs,
    #[command(flatten)]
    storage: StorageArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    storage: StorageArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PasswdArgs {
    /// The user whose password changes.
    name: String,
    #[command(flatten)]
    password: PasswordArgs,
    #[command(flatten)]
    storage: StorageArgs,
}

/// Where a new password comes from: the flag, standard input, or a prompt on a terminal.
#[derive(Debug, Args)]
struct PasswordArgs {
    /// The password (visible in the process list: prefer --password-stdin).
    #[arg(long, conflicts_with = "password_stdin")]
    password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
}

/// Runs a `user` subcommand.
pub(crate) async fn run(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add(args) => add(args).await,
        UserCommand::List(args) => list(args).await,
        UserCommand::Passwd(args) => passwd(args).await,
    }
}

async fn add(args: AddArgs) -> anyhow::Result<()> {
    let username = Username::parse(&args.name).with_context(|| format!("{:?}", args.name))?;
    let password = read_password(&args.password)?;
    let hash = password::hash(password).await?;
    let user = NewUser::new(
        username.clone(),
        args.display_name.as_deref(),
        args.email.as_deref(),
        args.admin,
        hash,
    )?;
    let database = open(&args.storage).await?;
    match database.create_user(&user).await {
        Ok(()) => {
            let role = if args.admin { "administrator" } else { "user" };
            println!("Created {role} {username}.");
            Ok(())
        }
        Err(StoreError::Conflict) => bail!("a user named {username} already exists"),
        Err(error) => Err(error).context("cannot create the user"),
    }
}

async fn list(args: ListArgs) -> anyhow::Result<()> {
    let database = open(&args.storage).await?;
    let users = database.users().await.context("cannot list users")?;
    println!("{:<24} {:<28} {:<32} ROLE", "NAME", "DISPLAY NAME", "EMAIL");
    for user in users {
        let role = match (user.is_admin, user.disabled) {
            (_, true) => "disabled",
            (true, false) => "admin",
            (false, false) => "user",
        };
        println!(
            "{:<24} {:<28} {:<32} {role}",
            user.username, user.display_name, user.email
        );
    }
    Ok(())
}

async fn passwd(args: PasswdArgs) -> anyhow::Result<()> {
    let username = Username::parse(&args.name).with_context(|| format!("{:?}", args.name))?;
    let database = open(&args.storage).await?;
    if database.user(&username).await?.is_none() {
        bail!("there is no user named {username}");
    }
    let hash = password::hash(read_password(&args.password)?).await?;
    if !database.set_password_hash(&username, &hash).await? {
        bail!("there is no user named {username}");
    }
    let ended = database.delete_user_sessions(&username).await?;
    println!("Changed the password of {username}; ended {ended} session(s).");
    Ok(())
}

async fn open(args: &StorageArgs) -> anyhow::Result<applinks_store::Database> {
    let file = FileConfig::load(args.config.as_deref())?;
    Storage::resolve(args, &file)?.open().await
}

/// The new password, from the flag, standard input, or twice at a terminal prompt.
fn read_password(args: &PasswordArgs) -> anyhow::Result<String> {
    let password = if let Some(password) = &args.password {
        password.clone()
    } else if args.password_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("New password: ")?;
        let second = rpassword::prompt_password("Repeat the password: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        first
    };
    password::validate(&password)?;
    Ok(password)
}
