//! `applinks user add|list|passwd|disable|enable`: local users, straight in the database, safe
//! while a server uses the same database.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::{Context as _, bail};
use applinks_core::store::{DisabledChange, SessionStore, StoreError, UserStore};
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
    /// Disable a user; their sessions end.
    ///
    /// A disabled user can no longer sign in, use Basic, or be acted as across a link. The last
    /// enabled administrator cannot be disabled.
    Disable(NameArgs),
    /// Enable a disabled user again.
    Enable(NameArgs),
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

#[derive(Debug, Args)]
pub(crate) struct NameArgs {
    /// The user name.
    name: String,
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
        UserCommand::Disable(args) => set_disabled(args, true).await,
        UserCommand::Enable(args) => set_disabled(args, false).await,
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
    println!(
        "{:<24} {:<28} {:<32} {:<6} STATE",
        "NAME", "DISPLAY NAME", "EMAIL", "ROLE"
    );
    for user in users {
        let role = if user.is_admin { "admin" } else { "user" };
        let state = if user.disabled { "disabled" } else { "enabled" };
        println!(
            "{:<24} {:<28} {:<32} {role:<6} {state}",
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

/// Disables or enables a user; disabling also ends their sessions.
async fn set_disabled(args: NameArgs, disabled: bool) -> anyhow::Result<()> {
    let username = Username::parse(&args.name).with_context(|| format!("{:?}", args.name))?;
    let (done, state) = if disabled {
        ("Disabled", "disabled")
    } else {
        ("Enabled", "enabled")
    };
    let database = open(&args.storage).await?;
    let change = database
        .set_user_disabled(&username, disabled)
        .await
        .with_context(|| format!("cannot change whether {username} is disabled"))?;
    let message = match change {
        DisabledChange::Changed => format!("{done} {username}"),
        DisabledChange::Unchanged => format!("{username} was already {state}"),
        DisabledChange::NoSuchUser => bail!("there is no user named {username}"),
        DisabledChange::LastAdministrator => bail!(
            "{username} is the last enabled administrator and stays enabled; add another \
             administrator (applinks user add NAME --admin) or enable one first"
        ),
    };
    if !disabled {
        println!("{message}.");
        return Ok(());
    }

    // Ended even when the user was disabled already, in case an earlier run stopped between the
    // two steps. The server refuses a disabled user's sessions anyway; this removes them.
    let ended = database
        .delete_user_sessions(&username)
        .await
        .context("cannot end the user's sessions")?;
    println!("{message}; ended {ended} session(s).");
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
