//! `applinks link list|create|repair|edit|relocate|primary|delete`: the links of a running
//! server, administered through its REST API (SPEC §4, §5.2, §5.3) as an administrator.
//!
//! Unlike `applinks user`, these commands never open the database: the server does the work,
//! including every call to the remote application, so a link made here is the same as one made
//! in the browser. Results go to standard output, warnings and errors to standard error.

mod client;

use std::io::Write as _;

use anyhow::Context as _;
use applinks_core::link::{ApplicationId, OAuthLevels, normalise_url};
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use hyper::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use client::{CallError, Client, Connection, DEFAULT_URL, remote_password};

/// `applinks link`: the connection options and a subcommand.
#[derive(Debug, Args)]
pub(crate) struct LinkArgs {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: LinkCommand,
}

/// The `link` subcommands.
#[derive(Debug, Subcommand)]
enum LinkCommand {
    /// List the links.
    List(ListArgs),
    /// Create a link with the wizard: 1-way, or 2-way with the remote administrator's
    /// credentials.
    Create(CreateArgs),
    /// Finish a half-made 2-way link once the remote application answers again.
    Repair(RepairArgs),
    /// Change a link's name, URLs or authentication levels.
    Edit(EditArgs),
    /// Point a link at an application that moved: sets both its display and application URL.
    Relocate(RelocateArgs),
    /// Make a link the primary one of its application type.
    Primary(PrimaryArgs),
    /// Delete a link, its consumer and its tokens; with --reciprocate, the remote side too.
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Print the server's JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// The remote application's base URL, with its scheme (https://…).
    // Named apart from the global `--url`, which names our own server.
    #[arg(value_name = "URL", value_parser = parse_url_text)]
    remote_url: String,
    /// The link's name; the remote manifest's name by default.
    #[arg(long)]
    name: Option<String>,
    /// The application type of a remote that does not speak application links (jira,
    /// confluence, generic, …); a remote that does announces its own.
    #[arg(long = "type", value_name = "TYPE")]
    type_id: Option<String>,
    /// Also create the link back to us on the remote, as its administrator.
    #[arg(long, requires = "remote_user")]
    two_way: bool,
    /// The remote administrator's user name, for --two-way.
    #[arg(long, value_name = "NAME", requires = "two_way")]
    remote_user: Option<String>,
    /// Read the remote administrator's password from standard input (the second line with
    /// --password-stdin), instead of APPLINKS_REMOTE_PASSWORD or a prompt.
    #[arg(long, requires = "two_way")]
    remote_password_stdin: bool,
    /// Both applications have the same users: use OAuth with impersonation.
    #[arg(long)]
    shared_users: bool,
}

#[derive(Debug, Args)]
struct RepairArgs {
    /// The link's id.
    #[arg(value_parser = parse_id)]
    id: String,
    /// The remote administrator's user name.
    #[arg(long, value_name = "NAME")]
    remote_user: String,
    /// Read the remote administrator's password from standard input (the second line with
    /// --password-stdin), instead of APPLINKS_REMOTE_PASSWORD or a prompt.
    #[arg(long)]
    remote_password_stdin: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("change").required(true).multiple(true)))]
struct EditArgs {
    /// The link's id.
    #[arg(value_parser = parse_id)]
    id: String,
    /// The new name.
    #[arg(long, group = "change")]
    name: Option<String>,
    /// The new URL people use to reach the application.
    #[arg(long, group = "change", value_name = "URL", value_parser = parse_url_text)]
    display_url: Option<String>,
    /// The new URL this server uses to call the application.
    #[arg(long, group = "change", value_name = "URL", value_parser = parse_url_text)]
    rpc_url: Option<String>,
    /// How the application may call us: disabled, oauth or impersonation. Turning it on needs
    /// the link's incoming consumer; disabled removes the consumer and its tokens.
    #[arg(long, group = "change", value_name = "LEVEL")]
    incoming: Option<Level>,
    /// How we call the application: disabled, oauth or impersonation.
    #[arg(long, group = "change", value_name = "LEVEL")]
    outgoing: Option<Level>,
}

/// An authentication level of one direction of a link, as the edit page offers them.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Level {
    /// No OAuth.
    Disabled,
    /// 3-legged and 2-legged OAuth.
    Oauth,
    /// OAuth, and 2-legged OAuth acting as any user (for applications that share their users).
    Impersonation,
}

impl Level {
    fn levels(self) -> OAuthLevels {
        match self {
            Self::Disabled => OAuthLevels::DISABLED,
            Self::Oauth => OAuthLevels::OAUTH,
            Self::Impersonation => OAuthLevels::IMPERSONATION,
        }
    }
}

#[derive(Debug, Args)]
struct RelocateArgs {
    /// The link's id.
    #[arg(value_parser = parse_id)]
    id: String,
    /// The application's new base URL.
    #[arg(value_parser = parse_url_text)]
    new_url: String,
}

#[derive(Debug, Args)]
struct PrimaryArgs {
    /// The link's id.
    #[arg(value_parser = parse_id)]
    id: String,
}

#[derive(Debug, Args)]
struct DeleteArgs {
    /// The link's id.
    #[arg(value_parser = parse_id)]
    id: String,
    /// Delete the remote application's link to us first; when that fails, nothing is deleted.
    #[arg(long)]
    reciprocate: bool,
    /// The remote administrator's user name; without it, the server asks the remote with a
    /// request signed across the link as you.
    #[arg(long, value_name = "NAME", requires = "reciprocate")]
    remote_user: Option<String>,
    /// Read the remote administrator's password from standard input (the second line with
    /// --password-stdin), instead of APPLINKS_REMOTE_PASSWORD or a prompt.
    #[arg(long, requires = "remote_user")]
    remote_password_stdin: bool,
}

/// A link as the REST API answers it (`applicationLink`); other fields are ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinkView {
    id: String,
    name: String,
    type_id: String,
    display_url: String,
    rpc_url: String,
    #[serde(default)]
    is_primary: bool,
    /// Set while a 2-way link's creation is unfinished: what the repair will complete.
    pending: Option<String>,
}

/// The wizard's answer: the link, its authentication and what the administrator should know.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatedView {
    #[serde(flatten)]
    link: LinkView,
    authentication_level: String,
    #[serde(default)]
    warnings: Vec<String>,
}

/// Runs a `link` subcommand.
pub(crate) async fn run(args: LinkArgs) -> anyhow::Result<()> {
    let connection = args.connection;
    match args.command {
        LinkCommand::List(list_args) => list(&Client::new(&connection)?, list_args).await,
        LinkCommand::Create(create_args) => create(&connection, create_args).await,
        LinkCommand::Repair(repair_args) => repair(&connection, repair_args).await,
        LinkCommand::Edit(edit_args) => edit(&Client::new(&connection)?, edit_args).await,
        LinkCommand::Relocate(relocate_args) => {
            relocate(&Client::new(&connection)?, relocate_args).await
        }
        LinkCommand::Primary(primary_args) => {
            primary(&Client::new(&connection)?, primary_args).await
        }
        LinkCommand::Delete(delete_args) => delete(&connection, delete_args).await,
    }
}

const LINKS: &str = "/rest/applinks/1.0/applicationlink";

async fn list(client: &Client, args: ListArgs) -> anyhow::Result<()> {
    let answer = client.get(LINKS).await.context("cannot list the links")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(());
    }

    let links: Vec<LinkView> = serde_json::from_value(answer["applicationLinks"].clone())
        .context("the server's list of links is not in the expected shape")?;
    if links.is_empty() {
        println!("No links. Create one with: applinks link create URL");
        return Ok(());
    }
    let mut rows =
        vec![["ID", "NAME", "TYPE", "URL", "AUTH", "PRIMARY", "STATE"].map(String::from)];
    for link in links {
        let auth = outgoing_authentication(client, &link.id).await?;
        let state = match &link.pending {
            Some(pending) => format!("half-made: {pending}"),
            None => "ok".to_owned(),
        };
        let primary = if link.is_primary { "yes" } else { "no" };
        rows.push([
            link.id,
            link.name,
            link.type_id,
            link.display_url,
            auth,
            primary.to_owned(),
            state,
        ]);
    }
    print_table(&rows);
    Ok(())
}

/// The authentication this server uses to call the linked application, as the wizard names
/// it.
async fn outgoing_authentication(client: &Client, id: &str) -> anyhow::Result<String> {
    let status = client
        .get(&format!("/rest/applinks/3.0/status/{id}/oauth"))
        .await
        .with_context(|| format!("cannot read the authentication of link {id}"))?;
    Ok(level_label(&status["outgoing"]).to_owned())
}

/// The name for people of one direction's levels in an OAuth status answer.
fn level_label(levels: &Value) -> &'static str {
    let on = |field: &str| levels[field].as_bool().unwrap_or(false);
    if on("twoLoImpersonationEnabled") {
        "OAuth (impersonation)"
    } else if on("enabled") || on("twoLoEnabled") {
        "OAuth"
    } else {
        "Disabled"
    }
}

/// Prints rows as columns separated by two spaces; the last column is not padded.
fn print_table(rows: &[[String; 7]]) {
    let mut widths = [0; 7];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = std::io::stdout().lock();
    for row in rows {
        let mut line = String::new();
        for (index, cell) in row.iter().enumerate() {
            if index + 1 == row.len() {
                line.push_str(cell);
            } else {
                let padding = widths[index] - cell.chars().count();
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', padding + 2));
            }
        }
        // A closed pipe (`applinks link list | head`) is not worth an error.
        if writeln!(out, "{}", line.trim_end()).is_err() {
            return;
        }
    }
}

async fn create(connection: &Connection, args: CreateArgs) -> anyhow::Result<()> {
    let client = Client::new(connection)?;
    let remote = match &args.remote_user {
        Some(user) => Some((
            user.clone(),
            remote_password(user, args.remote_password_stdin)?,
        )),
        None => None,
    };

    let mut application_link = json!({ "displayUrl": args.remote_url });
    if let Some(name) = &args.name {
        application_link["name"] = json!(name);
    }
    if let Some(type_id) = &args.type_id {
        application_link["typeId"] = json!(type_id);
    }
    let (username, password) = remote.unzip();
    let body = json!({
        "applicationLink": application_link,
        "username": username,
        "password": password,
        "createTwoWayLink": args.two_way,
        "configFormValues": { "shareUserbase": args.shared_users },
    });
    let answer = client
        .call(
            Method::POST,
            "/rest/applinks/1.0/applicationlinkForm/createAppLink",
            Some(&body),
        )
        .await
        .with_context(|| format!("cannot create a link to {}", args.remote_url))?;
    let created: CreatedView =
        serde_json::from_value(answer).context("the server's answer is not a created link")?;

    let direction = if args.two_way { "2-way" } else { "1-way" };
    println!("Created a {direction} link to {}.", created.link.name);
    print_link(&created.link);
    println!("  authentication  {}", created.authentication_level);
    for warning in &created.warnings {
        eprintln!("warning: {warning}");
    }
    match &created.link.pending {
        Some(pending) => Err(half_made(connection, &created.link, pending, &args)),
        None => Ok(()),
    }
}

/// The error for a link whose 2-way creation stopped half-way: it exists, but a script must not
/// carry on as if it worked, and the administrator learns the one command that finishes it.
fn half_made(
    connection: &Connection,
    link: &LinkView,
    pending: &str,
    args: &CreateArgs,
) -> anyhow::Error {
    let mut repair = String::from("applinks link repair");
    let url = connection.url.as_str().trim_end_matches('/');
    if url != DEFAULT_URL {
        repair.push_str(&format!(" --url {url}"));
    }
    let remote_user = args.remote_user.as_deref().unwrap_or("NAME");
    repair.push_str(&format!(" {} --remote-user {remote_user}", link.id));
    eprintln!();
    eprintln!("!! The link {} is HALF-MADE: {pending}", link.id);
    eprintln!("!! Once {} answers again, finish it with:", link.rpc_url);
    eprintln!("!!     {repair}");
    anyhow::anyhow!(
        "the link to {} was created half-made; run: {repair}",
        link.name
    )
}

async fn repair(connection: &Connection, args: RepairArgs) -> anyhow::Result<()> {
    let client = Client::new(connection)?;
    let password = remote_password(&args.remote_user, args.remote_password_stdin)?;
    let body = json!({ "username": args.remote_user, "password": password });
    let path = format!("{LINKS}/{}/repair", args.id);
    let answer = client
        .call(Method::POST, &path, Some(&body))
        .await
        .map_err(|error| missing_link(error, &client, &args.id))
        .with_context(|| format!("cannot repair link {}", args.id))?;
    let link = link_view(answer)?;
    println!(
        "Repaired the link to {}: both sides are complete.",
        link.name
    );
    print_link(&link);
    Ok(())
}

async fn edit(client: &Client, args: EditArgs) -> anyhow::Result<()> {
    // The levels go first: the server refuses them when they cannot be (an incoming level
    // without a consumer), and then nothing has changed.
    if args.incoming.is_some() || args.outgoing.is_some() {
        set_levels(client, &args.id, args.incoming, args.outgoing).await?;
    }
    let changes = [
        ("name", args.name),
        ("displayUrl", args.display_url),
        ("rpcUrl", args.rpc_url),
    ];
    if changes.iter().any(|(_, value)| value.is_some()) {
        update(client, &args.id, &changes, "Updated").await?;
    }
    Ok(())
}

/// Sets the authentication levels of the given directions, as the edit page does.
async fn set_levels(
    client: &Client,
    id: &str,
    incoming: Option<Level>,
    outgoing: Option<Level>,
) -> anyhow::Result<()> {
    let mut body = json!({});
    if let Some(incoming) = incoming {
        body["incoming"] = json!(incoming.levels());
    }
    if let Some(outgoing) = outgoing {
        body["outgoing"] = json!(outgoing.levels());
    }
    let path = format!("/rest/applinks/3.0/status/{id}/oauth");
    let status = client
        .call(Method::PUT, &path, Some(&body))
        .await
        .map_err(|error| missing_link(error, client, id))
        .with_context(|| format!("cannot set the authentication of link {id}"))?;
    println!("Set the authentication of link {id}.");
    println!("  incoming        {}", level_label(&status["incoming"]));
    println!("  outgoing        {}", level_label(&status["outgoing"]));
    Ok(())
}

async fn relocate(client: &Client, args: RelocateArgs) -> anyhow::Result<()> {
    let changes = [
        ("displayUrl", Some(args.new_url.clone())),
        ("rpcUrl", Some(args.new_url)),
    ];
    update(client, &args.id, &changes, "Relocated").await
}

/// Reads the link, changes the given fields, and writes the whole link back, so that fields
/// this command does not know survive.
async fn update(
    client: &Client,
    id: &str,
    changes: &[(&str, Option<String>)],
    done: &str,
) -> anyhow::Result<()> {
    let path = format!("{LINKS}/{id}");
    let mut link = client
        .get(&path)
        .await
        .map_err(|error| missing_link(error, client, id))
        .with_context(|| format!("cannot read link {id}"))?;
    for (field, value) in changes {
        if let Some(value) = value {
            link[*field] = json!(value);
        }
    }
    let answer = client
        .call(Method::PUT, &path, Some(&link))
        .await
        .with_context(|| format!("cannot update link {id}"))?;
    let link = link_view(answer)?;
    println!("{done} the link to {}.", link.name);
    print_link(&link);
    Ok(())
}

async fn primary(client: &Client, args: PrimaryArgs) -> anyhow::Result<()> {
    let path = format!("{LINKS}/primary/{}", args.id);
    let answer = client
        .call(Method::POST, &path, None)
        .await
        .map_err(|error| missing_link(error, client, &args.id))
        .with_context(|| format!("cannot make link {} primary", args.id))?;
    let link = link_view(answer)?;
    println!(
        "The link to {} is now the primary {} link.",
        link.name, link.type_id
    );
    Ok(())
}

async fn delete(connection: &Connection, args: DeleteArgs) -> anyhow::Result<()> {
    let client = Client::new(connection)?;
    let credentials = match &args.remote_user {
        Some(user) => Some(json!({
            "username": user,
            "password": remote_password(user, args.remote_password_stdin)?,
        })),
        None => None,
    };

    let path = format!("{LINKS}/{}", args.id);
    let link = client
        .get(&path)
        .await
        .map_err(|error| missing_link(error, &client, &args.id))
        .with_context(|| format!("cannot read link {}", args.id))?;
    let link = link_view(link)?;
    let target = if args.reciprocate {
        format!("{path}?reciprocate=true")
    } else {
        path
    };
    client
        .call(Method::DELETE, &target, credentials.as_ref())
        .await
        .with_context(|| format!("cannot delete the link to {}", link.name))?;
    if args.reciprocate {
        println!(
            "Deleted the link to {} ({}) and its link back to us.",
            link.name, link.id
        );
    } else {
        println!("Deleted the link to {} ({}).", link.name, link.id);
    }
    Ok(())
}

/// Says which link is missing when the server answers 404 for one.
fn missing_link(error: CallError, client: &Client, id: &str) -> anyhow::Error {
    if error.is_not_found() {
        anyhow::anyhow!(
            "{} has no link with id {id}; `applinks link list` shows the ids",
            client.base()
        )
    } else {
        error.into()
    }
}

fn link_view(answer: Value) -> anyhow::Result<LinkView> {
    serde_json::from_value(answer).context("the server's answer is not a link")
}

/// The fields of a link, one per line, as the commands print them.
fn print_link(link: &LinkView) {
    println!("  id              {}", link.id);
    println!("  type            {}", link.type_id);
    println!("  url             {}", link.display_url);
    if link.rpc_url != link.display_url {
        println!("  application url {}", link.rpc_url);
    }
    println!(
        "  primary         {}",
        if link.is_primary { "yes" } else { "no" }
    );
}

/// Checks a link id on the command line, so that it is safe in a path.
fn parse_id(raw: &str) -> Result<String, String> {
    ApplicationId::parse(raw)
        .map(|id| id.as_str().to_owned())
        .map_err(|error| error.to_string())
}

/// Checks an application URL as the server will (scheme required) and keeps it as text.
fn parse_url_text(raw: &str) -> Result<String, String> {
    let url = parse_http_url(raw)?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// An absolute http(s) URL with a host and no credentials.
fn parse_http_url(raw: &str) -> Result<Url, String> {
    let normalised = normalise_url(raw).map_err(|error| error.to_string())?;
    let url = Url::parse(&normalised).map_err(|error| format!("not a valid URL: {error}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL may not carry credentials".into());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_on_the_command_line_need_a_scheme() {
        assert!(parse_url_text("jira.example.com").is_err());
        assert_eq!(
            parse_url_text("https://jira.example.com/jira/").unwrap(),
            "https://jira.example.com/jira"
        );
        assert!(parse_url_text("https://me:secret@jira.example.com").is_err());
    }

    #[test]
    fn link_ids_are_safe_in_paths() {
        assert!(parse_id("0c0ffee0-1234-4321-abcd-0123456789ab").is_ok());
        assert!(parse_id("../admin").is_err());
        assert!(parse_id("a?b").is_err());
    }
}
