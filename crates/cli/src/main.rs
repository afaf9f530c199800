//! `vink`: the command line. Serves the application, applies migrations, manages
//! users and tokens, and verifies the audit chain.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use vink_app::{App, Config};
use vink_domain::user::Actor;
use vink_store::Db;

/// The default database: a SQLite file under ./vink-data/.
const DEFAULT_DATABASE: &str = "sqlite://vink-data/vink.db";

#[derive(Parser)]
#[command(
    name = "vink",
    version,
    about = "Concerns, triage and programmes for a VINK unit"
)]
struct Cli {
    /// Database URL: sqlite://PATH or postgres://…
    #[arg(long, global = true, env = "VINK_DATABASE_URL", default_value = DEFAULT_DATABASE)]
    database: String,
    /// The keys file (audit and checkpoint keys; `vink key generate FILE`).
    /// Or the file's text in VINK_KEYS. Keep it outside the database.
    #[arg(long, global = true, env = "VINK_KEYS_FILE")]
    keys: Option<std::path::PathBuf>,
    /// Where signed checkpoints of the audit log's head are appended (put
    /// it on other storage than the database).
    #[arg(
        long,
        global = true,
        env = "VINK_CHECKPOINT_FILE",
        default_value = "vink-data/audit-checkpoints.jsonl"
    )]
    checkpoint_file: std::path::PathBuf,
    /// Also send each checkpoint to this syslog socket (e.g. /dev/log).
    #[arg(long, global = true, env = "VINK_CHECKPOINT_SYSLOG")]
    checkpoint_syslog: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of its largest variant (`serve`'s
// options) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the web server (applies migrations first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "VINK_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Load fictitious demo data and demo users of every role (printed at start).
        #[arg(long)]
        demo: bool,
        /// Hours from receipt to the triage deadline.
        #[arg(long, env = "VINK_TRIAGE_HOURS", default_value_t = 48)]
        triage_hours: i64,
        /// Minutes of inactivity after which a session ends.
        #[arg(long, env = "VINK_IDLE_TIMEOUT_MINUTES", default_value_t = 30)]
        idle_timeout_minutes: i64,
        /// Mark cookies Secure (set when served behind TLS).
        #[arg(long, env = "VINK_SECURE_COOKIES")]
        secure_cookies: bool,
        /// SMTP relay for reminder e-mails: smtp://host:port, smtp+starttls://… or smtps://…
        /// Without it reminders go to the in-app inbox only.
        #[arg(long, env = "VINK_SMTP_URL")]
        smtp_url: Option<String>,
        /// Sender address of reminder e-mails.
        #[arg(long, env = "VINK_MAIL_FROM", default_value = "vink <vink@localhost>")]
        mail_from: String,
        /// Months from a course's end to the risk follow-up.
        #[arg(long, env = "VINK_RISK_FOLLOW_UP_MONTHS", default_value_t = 6)]
        risk_follow_up_months: i32,
        /// Months from a course's end to the education/employment follow-up.
        #[arg(long, env = "VINK_OCCUPATION_FOLLOW_UP_MONTHS", default_value_t = 12)]
        occupation_follow_up_months: i32,
        /// The address users reach vink at (links in e-mails).
        #[arg(long, env = "VINK_BASE_URL", default_value = "http://127.0.0.1:8080")]
        base_url: String,
        /// Days before its due date that a follow-up answer is first accepted.
        #[arg(long, env = "VINK_FOLLOW_UP_TOLERANCE_DAYS", default_value_t = 30)]
        follow_up_tolerance_days: i32,
        /// Hours after log-in that a session ends however active it is.
        #[arg(long, env = "VINK_SESSION_LIFETIME_HOURS", default_value_t = 12)]
        session_lifetime_hours: i64,
        /// A reverse proxy whose X-Forwarded-For is believed (repeatable).
        #[arg(
            long = "trusted-proxy",
            env = "VINK_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Seconds a client has to send its whole request header.
        #[arg(long, env = "VINK_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10)]
        header_read_timeout_seconds: u64,
        /// Seconds a request may take before it is answered 408.
        #[arg(long, env = "VINK_REQUEST_TIMEOUT_SECONDS", default_value_t = 60)]
        request_timeout_seconds: u64,
        /// Connections served at once (more wait in the listen queue).
        #[arg(long, env = "VINK_MAX_CONNECTIONS", default_value_t = 1024)]
        max_connections: usize,
        /// Seconds between passes of the reminder job.
        #[arg(long, env = "VINK_REMINDER_INTERVAL_SECONDS", default_value_t = 60)]
        reminder_interval_seconds: u64,
        /// The unit's phone number, shown to the public after a report.
        #[arg(long, env = "VINK_PUBLIC_PHONE")]
        public_phone: Option<String>,
        /// The bearer token Prometheus scrapes /metrics with (without it,
        /// /metrics is not served).
        #[arg(long, env = "VINK_METRICS_TOKEN")]
        metrics_token: Option<String>,
        /// An address or network (10.0.0.0/8) that may read /metrics
        /// without the token (repeatable).
        #[arg(
            long = "metrics-allow",
            env = "VINK_METRICS_ALLOW",
            value_delimiter = ','
        )]
        metrics_allow: Vec<String>,
        /// Seconds between signed checkpoints of the audit log's head.
        #[arg(long, env = "VINK_CHECKPOINT_INTERVAL_SECONDS", default_value_t = 60)]
        checkpoint_interval_seconds: u64,
        /// Roles that must log in with a second factor (comma-separated, or
        /// `none`). Default: every role that reads personal data
        /// (secretariat, coordination_unit, mentor, admin, auditor); with
        /// --demo: none (anyone may still enrol).
        #[arg(long, env = "VINK_SECOND_FACTOR_ROLES", value_delimiter = ',')]
        second_factor_roles: Option<Vec<String>>,
        /// Single sign-on through an OpenID provider: its settings file
        /// (TOML, see docs/operations.md). The client secret may come from
        /// VINK_SSO_CLIENT_SECRET instead. Local accounts keep working.
        #[arg(long, env = "VINK_SSO_CONFIG")]
        sso_config: Option<std::path::PathBuf>,
        /// Months after its decision that a concern decided without action
        /// (unfounded, advice only) is deleted, checked every hour; 0: never.
        #[arg(long, env = "VINK_RETENTION_UNFOUNDED_MONTHS", default_value_t = vink_domain::retention::DEFAULT_UNFOUNDED_MONTHS)]
        retention_unfounded_months: i32,
    },
    /// Deletion on schedule.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Fill an empty database with a fictitious history at national scale, for
    /// benchmarks (sizes in bench/README.md). Refuses a database with concerns.
    BenchData {
        /// How many concerns.
        #[arg(long)]
        concerns: usize,
        /// Years of history, ending now.
        #[arg(long, default_value_t = 5)]
        years: i64,
        /// Seed: the same seed gives the same data set.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Audit rows per concern, about.
        #[arg(long, default_value_t = 100)]
        audit_per_concern: usize,
        /// Activities over the whole history (default: a quarter of the
        /// concerns), with organisations and a citizen forum in proportion.
        #[arg(long)]
        activities: Option<usize>,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Audit-log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Take an encrypted, consistent backup of the SQLite database while the
    /// server runs (key: VINK_BACKUP_KEY or --key-file, 64 hex digits).
    Backup {
        file: std::path::PathBuf,
        #[arg(long)]
        key_file: Option<std::path::PathBuf>,
    },
    /// Restore an encrypted backup to the database; refuses to replace an
    /// existing database without --force (stop the server first).
    Restore {
        file: std::path::PathBuf,
        #[arg(long)]
        key_file: Option<std::path::PathBuf>,
        #[arg(long)]
        force: bool,
    },
    /// Action plans.
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
    },
    /// The keys kept outside the database.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Write a new keys file (owner-readable only; never overwrites).
    Generate { file: std::path::PathBuf },
    /// Add a new field key to the keys file, make it current, and
    /// re-encrypt every sealed value under it while the server runs (the
    /// server reads the file again within 10 seconds). Older keys stay in
    /// the file for backups; a file without field keys gets its first.
    Rotate {
        /// Seconds to wait for running servers to read the new key before
        /// the last pass.
        #[arg(long, default_value_t = 12)]
        settle_seconds: u64,
    },
}

#[derive(Subcommand)]
enum PlanCommand {
    /// Import a plan with its targets from a TOML or JSON file
    /// (docs/plan-format.md); all or nothing, errors name the line or field.
    Import { file: std::path::PathBuf },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        /// User name (a-z, 0-9, '.', '_', '-').
        name: String,
        /// secretariat, coordination_unit, mentor, analyst, admin or auditor.
        #[arg(long)]
        role: String,
        /// Agency code (required for coordination_unit), e.g. ssp.
        #[arg(long)]
        agency: Option<String>,
        /// Display name shown in the UI and timelines.
        #[arg(long)]
        display_name: Option<String>,
        /// E-mail address for reminders.
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input (the only way; never an argument).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Issue a new API bearer token for a user and print it (shown once).
    Token {
        name: String,
        /// Days until the token expires.
        #[arg(long, default_value_t = 90)]
        lifetime_days: i64,
    },
    /// Revoke an API token; the token is read from standard input.
    RevokeToken {
        /// Read the token from standard input (the only way; never an argument).
        #[arg(long, required = true)]
        token_stdin: bool,
    },
    /// Disable a user: their sessions end and their tokens are revoked at once.
    Disable { name: String },
    /// Remove a user's second factor (a lost phone): their sessions end and
    /// they enrol anew at their next log-in.
    ResetSecondFactor { name: String },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Delete now every concern decided without action whose period has
    /// run out (what `serve` does every hour); prints what went.
    Run {
        /// Months after the decision (as for `serve`); 0: delete nothing.
        #[arg(long, env = "VINK_RETENTION_UNFOUNDED_MONTHS", default_value_t = vink_domain::retention::DEFAULT_UNFOUNDED_MONTHS)]
        unfounded_months: i32,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the keyed hash chain and the signed checkpoints; exit 0 when
    /// intact, 2 naming the first bad row.
    Verify,
    /// Write a signed checkpoint of the head now.
    Checkpoint,
    /// Rewrite a chain from before the audit key under the key, once, with
    /// the server stopped (each row is checked first).
    Rekey,
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Store(#[from] vink_store::StoreError),
    #[error(transparent)]
    App(#[from] vink_app::AppError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Backup(#[from] vink_app::backup::BackupError),
    #[error(transparent)]
    Keys(#[from] vink_app::keys::KeyError),
}

/// mimalloc, not glibc's malloc: a request allocates and frees many small
/// values across the runtime's threads, and glibc's arenas spent a tenth of
/// the server's CPU on it under load (`perf`, concern list at 16
/// connections; BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VINK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn open(url: &str) -> Result<Db, CliError> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    Ok(db)
}

/// `--second-factor-roles`: role codes, or `none`.
fn parse_roles(list: &[String]) -> Result<Vec<vink_domain::user::Role>, CliError> {
    let mut roles = Vec::new();
    for r in list.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        if r == "none" {
            continue;
        }
        roles.push(vink_domain::user::Role::parse(r).ok_or_else(|| {
            CliError::Usage(format!(
                "--second-factor-roles: unknown role {r} (secretariat, coordination_unit, mentor, analyst, admin, auditor, or none)"
            ))
        })?);
    }
    Ok(roles)
}

/// Where the demo keeps its generated keys when none are given.
const DEMO_KEYS: &str = "vink-data/demo-keys.toml";

/// The keys as configured; for the demo, generated on first use if none
/// are configured (fictitious data only).
fn load_keys(cli: &Globals, demo: bool) -> Result<vink_app::keys::KeySet, CliError> {
    use vink_app::keys::{KeyError, KeySet};
    match KeySet::load(cli.keys.as_deref()) {
        Err(KeyError::Missing) if demo => {
            let path = std::path::Path::new(DEMO_KEYS);
            if path.exists() {
                let keys = KeySet::load(Some(path))?;
                // Demo keys from before field encryption get their field key.
                match keys.fields {
                    Some(_) => Ok(keys),
                    None => Ok(keys.add_field_key()?),
                }
            } else {
                println!("Demo keys generated in {DEMO_KEYS} (for fictitious data only).");
                Ok(KeySet::generate(path)?)
            }
        }
        other => Ok(other?),
    }
}

/// The application over the database, with the keys checked against its
/// audit log: the wrong key, or a chain from before keys, is refused.
/// The retention period from the command line: 0 switches it off.
fn retention_months(months: i32) -> Result<Option<i32>, CliError> {
    match months {
        0 => Ok(None),
        m if (1..=vink_domain::retention::MAX_MONTHS).contains(&m) => Ok(Some(m)),
        _ => Err(CliError::Usage(format!(
            "the retention period must be 1 to {} months, or 0 for never",
            vink_domain::retention::MAX_MONTHS
        ))),
    }
}

async fn app(cli: &Globals, config: Config, demo: bool) -> Result<App, CliError> {
    let keys = load_keys(cli, demo)?;
    if keys.fields.is_none() {
        return Err(CliError::Usage(
            "the keys file has no field keys (it is from before encryption at rest): add one with `vink key rotate`".into(),
        ));
    }
    let db = open(&cli.database).await?;
    let config = Config {
        checkpoints: vink_app::checkpoint::CheckpointConfig {
            file: Some(cli.checkpoint_file.clone()),
            syslog: cli.checkpoint_syslog.clone(),
            ..config.checkpoints
        },
        ..config
    };
    let app = App::new(db, config, keys);
    if let Err(why) = vink_store::sealed::key_check(&app.db).await? {
        app.db.close().await;
        return Err(CliError::Usage(why));
    }
    match vink_store::audit::key_check(&app.db, &app.keys.audit).await? {
        vink_store::audit::KeyCheck::Empty | vink_store::audit::KeyCheck::Matches => Ok(app),
        vink_store::audit::KeyCheck::Unkeyed if demo => {
            let n = vink_app::audit::rekey(&app).await?;
            println!("Demo database's audit log rewritten under the demo key ({n} rows).");
            Ok(app)
        }
        vink_store::audit::KeyCheck::Unkeyed => {
            app.db.close().await;
            Err(CliError::Usage(
                "the audit log was written before audit keys: run `vink audit rekey` once, with the server stopped".into(),
            ))
        }
        vink_store::audit::KeyCheck::OtherKey => {
            app.db.close().await;
            Err(CliError::Usage(
                "the audit key does not match this database's audit log (wrong keys file?)".into(),
            ))
        }
    }
}

/// The options every command shares.
struct Globals {
    database: String,
    keys: Option<std::path::PathBuf>,
    checkpoint_file: std::path::PathBuf,
    checkpoint_syslog: Option<std::path::PathBuf>,
}

async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let Cli {
        database,
        keys,
        checkpoint_file,
        checkpoint_syslog,
        command,
    } = cli;
    let cli = Globals {
        database,
        keys,
        checkpoint_file,
        checkpoint_syslog,
    };
    match command {
        Command::Serve {
            listen,
            demo,
            triage_hours,
            idle_timeout_minutes,
            secure_cookies,
            smtp_url,
            mail_from,
            base_url,
            risk_follow_up_months,
            occupation_follow_up_months,
            follow_up_tolerance_days,
            session_lifetime_hours,
            trusted_proxies,
            header_read_timeout_seconds,
            request_timeout_seconds,
            max_connections,
            reminder_interval_seconds,
            public_phone,
            metrics_token,
            metrics_allow,
            checkpoint_interval_seconds,
            second_factor_roles,
            sso_config,
            retention_unfounded_months,
        } => {
            let retention_unfounded_months = retention_months(retention_unfounded_months)?;
            // Settings that cannot work stop vink here, not at the first log-in.
            let sso = match sso_config {
                Some(path) => {
                    let secret = std::env::var("VINK_SSO_CLIENT_SECRET").ok();
                    let config = vink_app::sso::SsoConfig::load(&path, secret)
                        .map_err(|e| CliError::Usage(e.to_string()))?;
                    Some(
                        vink_app::sso::Sso::new(config)
                            .map_err(|e| CliError::Usage(e.to_string()))?,
                    )
                }
                None => None,
            };
            let metrics_allow = metrics_allow
                .iter()
                .map(|a| {
                    vink_app::AddressRange::parse(a).ok_or_else(|| {
                        CliError::Usage(format!(
                            "--metrics-allow: {a} is not an address or network (10.0.0.0/8)"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if !(1..=36).contains(&risk_follow_up_months)
                || !(1..=36).contains(&occupation_follow_up_months)
            {
                return Err(CliError::Usage(
                    "follow-up offsets must be 1 to 36 months".into(),
                ));
            }
            if triage_hours < 1
                || idle_timeout_minutes < 1
                || session_lifetime_hours < 1
                || header_read_timeout_seconds < 1
                || request_timeout_seconds < 1
                || max_connections < 1
                || reminder_interval_seconds < 1
                || checkpoint_interval_seconds < 1
                || !(0..=180).contains(&follow_up_tolerance_days)
            {
                return Err(CliError::Usage(
                    "durations, limits and intervals must be positive (tolerance 0 to 180 days)"
                        .into(),
                ));
            }
            let second_factor_roles = match second_factor_roles {
                None if demo => Vec::new(),
                None => vink_app::second_factor::PERSONAL_DATA_ROLES.to_vec(),
                Some(list) => parse_roles(&list)?,
            };
            let config = Config {
                second_factor_roles,
                triage_hours,
                idle_timeout: jiff::SignedDuration::from_mins(idle_timeout_minutes),
                base_url,
                risk_follow_up_months,
                occupation_follow_up_months,
                follow_up_tolerance_days,
                session_lifetime: jiff::SignedDuration::from_hours(session_lifetime_hours),
                // The demo shows a fictitious number so the receipt page is complete.
                public_phone: public_phone
                    .or_else(|| demo.then(|| "33 00 00 00 (fiktivt demonummer)".to_string())),
                metrics_token,
                metrics_allow,
                retention_unfounded_months,
                ..Config::default()
            };
            let mut app = app(&cli, config, demo).await?;
            if let Some(url) = smtp_url {
                app.mailer = Some(vink_app::reminder::Mailer::from_url(&url, &mail_from)?);
            }
            if let Some(sso) = sso {
                tracing::info!(issuer = %sso.config.issuer, "single sign-on on");
                app.sso = Some(sso);
            }
            let app = Arc::new(app);
            if demo {
                let s = vink_app::demo::load(&app).await?;
                println!(
                    "Demo data: {} users, {} concerns, {} meetings, {} courses, {} activities, {} organisations and {} action plans created (existing data kept).",
                    s.users_created,
                    s.concerns_created,
                    s.meetings_created,
                    s.courses_created,
                    s.activities_created,
                    s.organisations_created,
                    s.plans_created
                );
                println!(
                    "Demo log-ins (password for all: {}):",
                    vink_app::demo::DEMO_PASSWORD
                );
                for (name, _, role, agency) in vink_app::demo::DEMO_USERS {
                    println!(
                        "  {name:<12} {role}{}",
                        agency.map(|a| format!(" ({a})")).unwrap_or_default()
                    );
                }
                if app.config.second_factor_roles.is_empty() {
                    println!(
                        "Two-step verification is optional in the demo (set it up under \"Totrinsbekræftelse\"); without --demo every role that reads personal data must use it."
                    );
                }
            }
            let opts = ServeOptions {
                listen,
                secure_cookies,
                trusted_proxies,
                limits: vink_web::server::Limits {
                    header_read_timeout: Duration::from_secs(header_read_timeout_seconds),
                    request_timeout: Duration::from_secs(request_timeout_seconds),
                    max_connections,
                },
                jobs: vink_app::jobs::Intervals {
                    reminders: Duration::from_secs(reminder_interval_seconds),
                    audit_checkpoint: Duration::from_secs(checkpoint_interval_seconds),
                    ..vink_app::jobs::Intervals::default()
                },
            };
            serve(app, opts).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchData {
            concerns,
            years,
            seed,
            audit_per_concern,
            activities,
        } => {
            let app = app(&cli, Config::default(), false).await?;
            let plan = vink_app::generate::Plan {
                concerns,
                years,
                seed,
                audit_per_concern,
                activities: activities.unwrap_or(concerns / 4),
            };
            let started = std::time::Instant::now();
            let tenth = (concerns / 10).max(1);
            let g = vink_app::generate::generate(&app, &plan, |n| {
                if n % tenth < 500 || n == concerns {
                    eprintln!(
                        "  {n} of {concerns} concerns ({:.0} s)",
                        started.elapsed().as_secs_f64()
                    );
                }
            })
            .await;
            app.db.close().await;
            let g = g?;
            println!(
                "Generated {} concerns, {} persons, {} meetings, {} courses, {} users, {} activities, {} organisations and {} audit rows in {:.0} s (users' password: {}).",
                g.concerns,
                g.persons,
                g.meetings,
                g.courses,
                g.users,
                g.activities,
                g.organisations,
                g.audit_rows,
                started.elapsed().as_secs_f64(),
                vink_app::generate::PASSWORD
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let db = open(&cli.database).await?;
            println!("Migrations applied ({}).", db.migration_count());
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => {
            let app = app(&cli, Config::default(), false).await?;
            let result = user(&app, command).await;
            app.db.close().await;
            result
        }
        Command::Backup { file, key_file } => {
            let key = vink_app::backup::BackupKey::load(key_file.as_deref())?;
            // The audit row first: the copy then holds it too.
            let app = app(&cli, Config::default(), false).await?;
            vink_app::backup::audit(&app).await?;
            app.db.close().await;
            let size = vink_app::backup::backup(&cli.database, &key, &file).await?;
            println!(
                "backup written to {} ({size} bytes, encrypted)",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore {
            file,
            key_file,
            force,
        } => {
            let key = vink_app::backup::BackupKey::load(key_file.as_deref())?;
            // The keys first: a restore that cannot write its audit row and
            // checkpoint afterwards is refused before it replaces anything.
            load_keys(&cli, false)?;
            vink_app::backup::restore(&cli.database, &key, &file, force).await?;
            let app = app(&cli, Config::default(), false).await?;
            vink_app::backup::audit(&app).await?;
            // The chain was set back on purpose: a checkpoint says so, and
            // the ones before it no longer bind it.
            vink_app::checkpoint::take(&app, true).await?;
            app.db.close().await;
            println!("restored {} to {}", file.display(), cli.database);
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan { command } => {
            let app = app(&cli, Config::default(), false).await?;
            let r = plan(&app, command).await;
            app.db.close().await;
            r
        }
        Command::Audit { command } => audit(&cli, command).await,
        Command::Retention {
            command: RetentionCommand::Run { unfounded_months },
        } => {
            let config = Config {
                retention_unfounded_months: retention_months(unfounded_months)?,
                ..Config::default()
            };
            let app = app(&cli, config, false).await?;
            let r = vink_app::retention::run(&app).await;
            app.db.close().await;
            let r = r?;
            println!(
                "retention: {} concerns and {} persons deleted",
                r.concerns, r.persons
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Key {
            command: KeyCommand::Rotate { settle_seconds },
        } => rotate(&cli, settle_seconds).await,
        Command::Key {
            command: KeyCommand::Generate { file },
        } => {
            vink_app::keys::KeySet::generate(&file)?;
            println!(
                "keys written to {} (readable by you only); keep a copy in a safe",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `vink key rotate`: a new current field key, then passes until none
/// re-seals anything (a server may write under the old key until it reads
/// the file again).
async fn rotate(cli: &Globals, settle_seconds: u64) -> Result<ExitCode, CliError> {
    let keys = load_keys(cli, false)?.add_field_key()?;
    let current = keys
        .fields
        .as_ref()
        .map(|f| f.current_id().to_string())
        .unwrap_or_default();
    println!("new field key {current} written to the keys file");
    let db = open(&cli.database).await?;
    let app = App::new(db, Config::default(), keys);
    let result = async {
        let mut pass = vink_app::keys::reseal_pass(&app, 500).await?;
        println!(
            "pass 1: {} values re-encrypted of {} looked at",
            pass.resealed, pass.looked
        );
        let mut n = 1;
        loop {
            tokio::time::sleep(Duration::from_secs(settle_seconds)).await;
            n += 1;
            pass = vink_app::keys::reseal_pass(&app, 500).await?;
            println!(
                "pass {n}: {} values re-encrypted of {} looked at",
                pass.resealed, pass.looked
            );
            if pass.resealed == 0 || n >= 6 {
                break;
            }
        }
        Ok::<_, CliError>(pass.resealed)
    }
    .await;
    app.db.close().await;
    if result? == 0 {
        println!(
            "every value is under key {current}; older keys are needed only for older backups"
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "values are still being written under an older key: is a server running with another keys file? Run again."
        );
        Ok(ExitCode::from(2))
    }
}

async fn audit(cli: &Globals, command: AuditCommand) -> Result<ExitCode, CliError> {
    match command {
        AuditCommand::Verify => {
            let app = app(cli, Config::default(), false).await?;
            let v = vink_app::audit::verify(&app).await;
            app.db.close().await;
            match v? {
                vink_app::audit::Verification::Intact { rows, checkpoints } => {
                    println!(
                        "audit chain intact: {rows} rows, through {checkpoints} signed checkpoints"
                    );
                    if checkpoints == 0 {
                        println!(
                            "note: no signed checkpoints in {}: rows cut from the end would go unnoticed",
                            cli.checkpoint_file.display()
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                vink_app::audit::Verification::Broken(b) => {
                    println!("audit chain BROKEN at row {}: {}", b.seq, b.problem);
                    Ok(ExitCode::from(2))
                }
            }
        }
        AuditCommand::Checkpoint => {
            let app = app(cli, Config::default(), false).await?;
            let c = vink_app::checkpoint::take(&app, false).await;
            app.db.close().await;
            match c? {
                Some(s) => println!("checkpoint of row {} written", s.checkpoint.seq),
                None => println!("the head has not moved since the last checkpoint"),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Rekey => {
            let keys = load_keys(cli, false)?;
            let db = open(&cli.database).await?;
            let app = App::new(db, Config::default(), keys);
            let n = vink_app::audit::rekey(&app).await;
            app.db.close().await;
            println!("audit log rewritten under the key: {} rows", n?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn plan(app: &App, command: PlanCommand) -> Result<ExitCode, CliError> {
    match command {
        PlanCommand::Import { file } => {
            let bytes = std::fs::read(&file)?;
            let name = file.to_string_lossy();
            match vink_app::plan_import::import(app, &Actor::system(), &name, &bytes).await {
                Ok(id) => {
                    println!("imported plan {id}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(vink_app::AppError::Invalid(errs)) => {
                    eprintln!("the plan was not imported:");
                    for e in errs.0 {
                        eprintln!("  {}: {}", e.field, e.message);
                    }
                    Ok(ExitCode::from(2))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

async fn user(app: &App, command: UserCommand) -> Result<ExitCode, CliError> {
    let system = Actor::system();
    match command {
        UserCommand::Add {
            name,
            role,
            agency,
            display_name,
            email,
            password_stdin: _,
        } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let new = vink_app::user::NewUser {
                username: name.clone(),
                display_name,
                role,
                agency,
                password,
                email,
            };
            match vink_app::user::add_user(app, &system, &new).await {
                Ok(id) => {
                    println!("user {name} created ({id})");
                    Ok(ExitCode::SUCCESS)
                }
                Err(vink_app::AppError::Invalid(errs)) => {
                    for e in errs.0 {
                        eprintln!("{}: {}", e.field, e.message);
                    }
                    Ok(ExitCode::from(2))
                }
                Err(e) => Err(e.into()),
            }
        }
        UserCommand::Token {
            name,
            lifetime_days,
        } => {
            if !(1..=3650).contains(&lifetime_days) {
                return Err(CliError::Usage("--lifetime-days must be 1 to 3650".into()));
            }
            let mut app_for_token = App::new(app.db.clone(), app.config.clone(), app.keys.clone());
            app_for_token.config.token_lifetime =
                jiff::SignedDuration::from_hours(lifetime_days * 24);
            let token = vink_app::user::create_token(&app_for_token, &system, &name).await?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::RevokeToken { token_stdin: _ } => {
            let mut token = String::new();
            std::io::stdin().read_line(&mut token)?;
            match vink_app::user::revoke_token(app, &system, token.trim()).await {
                Ok(()) => {
                    println!("token revoked");
                    Ok(ExitCode::SUCCESS)
                }
                Err(vink_app::AppError::NotFound) => {
                    eprintln!("no such live token");
                    Ok(ExitCode::from(2))
                }
                Err(e) => Err(e.into()),
            }
        }
        UserCommand::ResetSecondFactor { name } => done_to_user(
            vink_app::second_factor::reset(app, &system, &name).await,
            &name,
            "second factor removed; they enrol again at their next log-in",
        ),
        UserCommand::Disable { name } => done_to_user(
            vink_app::user::disable_user(app, &system, &name).await,
            &name,
            "disabled; sessions ended, tokens revoked",
        ),
    }
}

/// The outcome of a change to one user: what was done, or exit 2 saying
/// there is no such user or why it could not be done.
fn done_to_user(
    r: Result<(), vink_app::AppError>,
    name: &str,
    done: &str,
) -> Result<ExitCode, CliError> {
    match r {
        Ok(()) => {
            println!("user {name}: {done}");
            Ok(ExitCode::SUCCESS)
        }
        Err(vink_app::AppError::NotFound) => {
            eprintln!("no such user: {name}");
            Ok(ExitCode::from(2))
        }
        Err(vink_app::AppError::Conflict(m)) => {
            eprintln!("{m}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}

struct ServeOptions {
    listen: SocketAddr,
    secure_cookies: bool,
    trusted_proxies: Vec<std::net::IpAddr>,
    limits: vink_web::server::Limits,
    jobs: vink_app::jobs::Intervals,
}

async fn serve(app: Arc<App>, opts: ServeOptions) -> Result<(), CliError> {
    let state = vink_web::AppState {
        app: app.clone(),
        secure_cookies: opts.secure_cookies,
        trusted_proxies: Arc::from(opts.trusted_proxies),
    };
    let router = vink_web::router(state);
    let listener = tokio::net::TcpListener::bind(opts.listen).await?;
    let listen = listener.local_addr()?;
    println!("vink listening on http://{listen}  (public report form: http://{listen}/report)");
    // Every background job is started and supervised here, and only here.
    let jobs = vink_app::jobs::start(app.clone(), opts.jobs);
    vink_web::server::serve(listener, router, opts.limits, shutdown_signal()).await?;
    jobs.abort();
    // Chain what is pending (PostgreSQL) so a stopped server leaves none.
    if let Err(e) = vink_store::audit::settle(&app.db).await {
        tracing::warn!(error = %e, "audit rows left pending at shutdown");
    }
    // A last checkpoint, so the file covers every row written.
    if let Err(e) = vink_app::checkpoint::take(&app, false).await {
        tracing::warn!(error = %e, "no audit checkpoint at shutdown");
    }
    app.db.close().await;
    Ok(())
}

/// Ctrl-C or SIGTERM (what service managers send) ends the server gracefully.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
