//! The command line. `patchbay` alone serves; the other commands manage the database and keys
//! without a running server (bootstrap and recovery), or run the pure cores on files.

mod offline;

use std::net::SocketAddr;

use anyhow::{Context, anyhow, bail};
use chrono::{Duration, Utc};
use clap::{Parser, Subcommand};
use migrations::{Migrator, MigratorTrait};
use secrecy::ExposeSecret;

use crate::{
    auth::{
        api_key::KeyKind,
        scopes,
        store::{self, NewKey},
    },
    bootstrap::BootstrapKey,
    config::{Config, GlobalOptions, ServeOptions},
    db,
    server::Application,
    telemetry, workspaces,
};

/// Patchbay: a self-hostable integration gateway with one GraphQL API.
#[derive(Parser)]
#[command(name = "patchbay", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    serve: ServeOptions,

    #[command(flatten)]
    global: GlobalOptions,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the playground and the metrics (the default command).
    Serve(ServeOptions),
    /// Apply, roll back or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Create, list or revoke API keys (bootstrap and recovery of admin keys).
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Connector definitions: print their JSON Schema, check files, list the built-ins.
    Connectors {
        #[command(subcommand)]
        action: offline::ConnectorsAction,
    },
    /// Field-mapping suggestions between two schema files, offline.
    Mapping {
        #[command(subcommand)]
        action: offline::MappingAction,
    },
    /// Run a sync in the foreground with live progress, then print its summary.
    Sync {
        #[command(subcommand)]
        action: SyncAction,
    },
    /// Failure-pattern mining on a log file, offline.
    Insights {
        #[command(subcommand)]
        action: offline::InsightsAction,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Print the version.
    Version,
}

#[derive(Subcommand)]
enum SyncAction {
    /// Run one sync now, in this process (useful to debug a connector); exits non-zero when
    /// the run fails.
    Run {
        /// The sync's id.
        sync_id: String,
        /// Read everything, not only changes since the cursor.
        #[arg(long)]
        full: bool,
        #[command(flatten)]
        serve: ServeOptions,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the most recent migrations.
    Down {
        /// How many migrations to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Subcommand)]
enum KeysAction {
    /// Create an API key and print it once.
    Create {
        /// Workspace slug.
        #[arg(long, default_value = workspaces::DEFAULT_SLUG)]
        workspace: String,
        /// A name to recognise the key by.
        #[arg(long, default_value = "admin")]
        name: String,
        /// Comma-separated scopes, e.g. `*` or `syncs:write,records:read`. The default makes an
        /// installation admin: everything in the workspace plus managing workspaces.
        #[arg(long, default_value = "*,workspaces:write", value_delimiter = ',')]
        scopes: Vec<String>,
        /// Requests per minute allowed for this key.
        #[arg(long)]
        rate_limit: Option<i32>,
        /// Days until the key expires.
        #[arg(long)]
        expires_in_days: Option<i64>,
        /// Create a `pb_test_` key instead of a `pb_live_` one.
        #[arg(long)]
        test: bool,
    },
    /// List API keys (never their secrets).
    List {
        /// Only the keys of this workspace slug.
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Revoke an API key by id; it stops working on its next request.
    Revoke {
        /// The key's id.
        id: String,
    },
    /// Rotate the master key: re-seal every stored credential with a new key.
    RotateMaster {
        /// The new key (64 hex characters); generated when absent.
        #[arg(long, env = "PATCHBAY_NEW_MASTER_KEY", hide_env_values = true)]
        new_key: Option<String>,
    },
}

impl Cli {
    /// Runs the chosen command.
    pub async fn run(self) -> anyhow::Result<()> {
        let global = self.global;
        match self.command {
            None => serve(&global, &self.serve).await,
            Some(Command::Serve(options)) => serve(&global, &options).await,
            Some(Command::Schema) => {
                print!("{}", crate::graphql::sdl());
                Ok(())
            }
            Some(Command::Connectors { action }) => offline::connectors(action),
            Some(Command::Mapping { action }) => offline::mapping(action),
            Some(Command::Insights { action }) => offline::insights(action),
            Some(Command::Version) => {
                println!("patchbay {}", env!("CARGO_PKG_VERSION"));
                Ok(())
            }
            Some(Command::Migrate { action }) => {
                telemetry::init(global.log_format, &global.log_level)?;
                migrate(&global, action).await
            }
            Some(Command::Keys { action }) => {
                telemetry::init(global.log_format, &global.log_level)?;
                keys(&global, action).await
            }
            Some(Command::Sync { action }) => {
                telemetry::init(global.log_format, &global.log_level)?;
                sync(&global, action).await
            }
        }
    }
}

async fn serve(global: &GlobalOptions, options: &ServeOptions) -> anyhow::Result<()> {
    telemetry::init(global.log_format, &global.log_level)?;
    let mut app = Application::build(Config::from_options(global, options)).await?;
    let address = app.local_addr();
    if let Some(key) = app.take_bootstrap_key() {
        print_bootstrap_key(&key, address);
    }
    tracing::info!(
        address = %address,
        database = db::backend_name(&app.state().db),
        "Patchbay is listening: playground at http://{address}/"
    );
    app.shutdown_on_signals();
    app.run_until_stopped().await
}

/// Prints the first admin key on standard output, never to the log stream.
fn print_bootstrap_key(key: &BootstrapKey, address: SocketAddr) {
    let host = if address.ip().is_unspecified() {
        format!("127.0.0.1:{}", address.port())
    } else {
        address.to_string()
    };
    let secret = key.secret.expose_secret();
    println!(
        "\n  Patchbay created the workspace `{workspace}` and an admin API key.\n  \
         It is shown this once; store it now (`patchbay keys create` makes another):\n\n    \
         {secret}\n\n  Try it:\n\n    \
         curl -s http://{host}/graphql \\\n      \
         -H 'Authorization: Bearer {secret}' \\\n      \
         -H 'Content-Type: application/json' \\\n      \
         -d '{{\"query\": \"{{ viewer {{ name scopes workspace {{ slug }} }} }}\"}}'\n\n  \
         Or open http://{host}/ and paste the key into the playground.\n",
        workspace = key.workspace_slug,
    );
}

/// `patchbay sync run`: the run executes here while a progress line updates on stderr.
async fn sync(global: &GlobalOptions, action: SyncAction) -> anyhow::Result<()> {
    let SyncAction::Run {
        sync_id,
        full,
        serve,
    } = action;
    let mut config = Config::from_options(global, &serve);
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let app = Application::build(config).await?;
    let state = app.state().clone();
    let mut events = state.events.subscribe();
    let started = std::time::Instant::now();
    let progress = tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            if event.event_type != "sync.progress" {
                continue;
            }
            let number = |key: &str| event.data[key].as_i64().unwrap_or(0);
            let rate = number("fetched") as f64 / started.elapsed().as_secs_f64().max(0.001);
            eprint!(
                "\r{} · {} pages · {} records ({rate:.0}/s) · {} created, {} updated, {} unchanged, {} failed   ",
                event.data["status"].as_str().unwrap_or_default(),
                number("pages"),
                number("fetched"),
                number("created"),
                number("updated"),
                number("unchanged"),
                number("failed"),
            );
        }
    });
    let run = crate::sync::run_in_foreground(&state, &sync_id, full)
        .await
        .map_err(|e| anyhow!("{}", e.public_message()))?;
    progress.abort();
    eprintln!();
    println!(
        "run {} {}: {} pages, {} records read in {:.1} s — {} created, {} updated, {} unchanged, \
         {} deleted, {} failed{}",
        run.id,
        run.status,
        run.pages,
        run.fetched,
        started.elapsed().as_secs_f64(),
        run.created,
        run.updated,
        run.unchanged,
        run.deleted,
        run.failed,
        run.error_summary
            .as_deref()
            .map(|e| format!("\n  error: {e}"))
            .unwrap_or_default(),
    );
    match run.status.as_str() {
        "succeeded" | "partial" => Ok(()),
        "waiting" => {
            println!(
                "  parked until {:?}; it resumes on a server",
                run.waiting_until
            );
            Ok(())
        }
        other => Err(anyhow!("the run ended {other}")),
    }
}

async fn migrate(global: &GlobalOptions, action: MigrateAction) -> anyhow::Result<()> {
    let db = db::connect(&global.database_url()).await?;
    match action {
        MigrateAction::Up => {
            db::migrate_up(&db).await?;
            println!("migrations are current");
        }
        MigrateAction::Down { steps } => {
            Migrator::down(&db, Some(steps))
                .await
                .context("rollback failed")?;
            println!("rolled back {steps} migration(s)");
        }
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status(&db).await? {
                println!(
                    "{:<10} {}",
                    format!("{:?}", migration.status()),
                    migration.name()
                );
            }
        }
    }
    Ok(())
}

async fn keys(global: &GlobalOptions, action: KeysAction) -> anyhow::Result<()> {
    let db = db::connect(&global.database_url()).await?;
    db::migrate_up(&db).await?;
    let domain = |e: crate::Error| anyhow!("{}", e.public_message());
    match action {
        KeysAction::Create {
            workspace,
            name,
            scopes: scope_strings,
            rate_limit,
            expires_in_days,
            test,
        } => {
            let scopes = scopes::parse_all(&scope_strings).map_err(domain)?;
            let workspace = match workspaces::find_by_slug(&db, &workspace)
                .await
                .map_err(domain)?
            {
                Some(found) => found,
                None if workspace == workspaces::DEFAULT_SLUG
                    && workspaces::count(&db).await.map_err(domain)? == 0 =>
                {
                    workspaces::create(&db, workspaces::DEFAULT_SLUG, "Default")
                        .await
                        .map_err(domain)?
                }
                None => bail!("there is no workspace `{workspace}`"),
            };
            let (key, secret) = store::create(
                &db,
                NewKey {
                    workspace_id: workspace.id,
                    name,
                    scopes,
                    rate_limit_per_minute: rate_limit,
                    rate_limit_burst: None,
                    expires_at: expires_in_days.map(|days| Utc::now() + Duration::days(days)),
                    kind: if test { KeyKind::Test } else { KeyKind::Live },
                },
            )
            .await
            .map_err(domain)?;
            eprintln!(
                "created key {} in workspace `{}`; it is shown this once:",
                key.id, workspace.slug
            );
            println!("{}", secret.expose_secret());
        }
        KeysAction::List { workspace } => {
            let workspace_id = match workspace {
                Some(slug) => Some(
                    workspaces::find_by_slug(&db, &slug)
                        .await
                        .map_err(domain)?
                        .ok_or_else(|| anyhow!("there is no workspace `{slug}`"))?
                        .id,
                ),
                None => None,
            };
            println!(
                "{:<36}  {:<16}  {:<8}  {:<20}  SCOPES",
                "ID", "PREFIX", "STATUS", "NAME"
            );
            for key in store::list(&db, workspace_id.as_deref())
                .await
                .map_err(domain)?
            {
                let status = if key.revoked_at.is_some() {
                    "revoked"
                } else if key.expires_at.is_some_and(|at| at <= Utc::now()) {
                    "expired"
                } else {
                    "active"
                };
                let scopes = scopes::parse_stored(&key.scopes)
                    .map(|s| {
                        s.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default();
                println!(
                    "{:<36}  {:<16}  {:<8}  {:<20}  {scopes}",
                    key.id, key.prefix, status, key.name
                );
            }
        }
        KeysAction::RotateMaster { new_key } => rotate_master(global, &db, new_key).await?,
        KeysAction::Revoke { id } => {
            let key = store::revoke(&db, None, &id).await.map_err(domain)?;
            println!("revoked {} ({})", key.id, key.prefix);
        }
    }
    Ok(())
}

/// Re-seals every credential with a new master key. Servers keep working during the rollout
/// when they are given the old key as `PATCHBAY_PREVIOUS_MASTER_KEY`.
async fn rotate_master(
    global: &GlobalOptions,
    db: &sea_orm::DatabaseConnection,
    new_key: Option<String>,
) -> anyhow::Result<()> {
    use crate::crypto::{Cipher, MasterKey, MasterKeySource};
    let (current, source) =
        MasterKey::load_or_generate(global.master_key.as_ref(), &global.data_dir)?;
    let new = match new_key {
        Some(hex_key) => MasterKey::from_hex(&secrecy::SecretString::from(hex_key))
            .context("--new-key must be 64 hex characters")?,
        None => MasterKey::generate(),
    };
    let new_hex = new.to_hex();
    let cipher = Cipher::new(new, Some(current));
    let resealed = crate::connections::reseal_all(db, &cipher)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    eprintln!("re-sealed the credentials of {resealed} connection(s) with the new master key");
    let resealed = crate::webhooks::subscriptions::reseal_all(db, &cipher)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    eprintln!("re-sealed the secrets of {resealed} webhook subscription(s)");
    match source {
        MasterKeySource::File(_) | MasterKeySource::Generated(_) => {
            let path = MasterKey::from_hex(&new_hex)?.write_to(&global.data_dir)?;
            eprintln!("the new key replaced {}", path.display());
        }
        MasterKeySource::Configured => {
            eprintln!(
                "set PATCHBAY_MASTER_KEY to the key below (and, until every process has it, \
                 PATCHBAY_PREVIOUS_MASTER_KEY to the old one); it is shown this once:"
            );
            println!("{}", new_hex.expose_secret());
        }
    }
    Ok(())
}
