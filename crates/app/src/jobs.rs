//! Background jobs, started and supervised in one place. Each job runs one
//! pass at a time on its own interval; a failed pass is logged and the next
//! tick tries again; a job that panics is started again after a pause. The
//! jobs' state lives in database rows, so a restart loses nothing.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::App;

/// A job: its name (for logs) and how often it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Ends idle and expired sessions.
    SessionSweep,
    /// Creates follow-up reminders and sends their e-mails.
    Reminders,
    /// Chains appended audit rows into the log (PostgreSQL; nothing to do
    /// on SQLite, which chains as it appends).
    AuditChain,
    /// Counts new facts into the monthly sums the key figures read.
    FactFold,
    /// Signs the audit chain's head into the checkpoint file.
    AuditCheckpoint,
    /// Reads the field keys again from the keys file, so a `vink key
    /// rotate` run beside the server takes effect for new values too.
    KeyReload,
    /// Deletes the cases whose retention period has run out.
    Retention,
}

impl Job {
    pub const ALL: &'static [Job] = &[
        Job::SessionSweep,
        Job::Reminders,
        Job::AuditChain,
        Job::FactFold,
        Job::AuditCheckpoint,
        Job::KeyReload,
        Job::Retention,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::SessionSweep => "session_sweep",
            Job::Reminders => "reminders",
            Job::AuditChain => "audit_chain",
            Job::FactFold => "fact_fold",
            Job::AuditCheckpoint => "audit_checkpoint",
            Job::KeyReload => "key_reload",
            Job::Retention => "retention",
        }
    }
}

/// How often each job runs.
#[derive(Debug, Clone, Copy)]
pub struct Intervals {
    pub session_sweep: Duration,
    pub reminders: Duration,
    pub audit_chain: Duration,
    pub fact_fold: Duration,
    pub audit_checkpoint: Duration,
    pub key_reload: Duration,
    pub retention: Duration,
}

impl Default for Intervals {
    fn default() -> Self {
        Intervals {
            session_sweep: Duration::from_secs(300),
            reminders: Duration::from_secs(60),
            audit_chain: Duration::from_millis(500),
            fact_fold: Duration::from_secs(2),
            audit_checkpoint: Duration::from_secs(60),
            key_reload: Duration::from_secs(10),
            retention: Duration::from_secs(3600),
        }
    }
}

impl Intervals {
    fn of(&self, job: Job) -> Duration {
        match job {
            Job::SessionSweep => self.session_sweep,
            Job::Reminders => self.reminders,
            Job::AuditChain => self.audit_chain,
            Job::FactFold => self.fact_fold,
            Job::AuditCheckpoint => self.audit_checkpoint,
            Job::KeyReload => self.key_reload,
            Job::Retention => self.retention,
        }
    }
}

/// One pass of a job.
pub async fn run_pass(app: &App, job: Job) -> crate::Result<()> {
    match job {
        Job::SessionSweep => {
            crate::user::sweep_sessions(app).await?;
            crate::sso::sweep_attempts(app).await?;
        }
        Job::AuditChain => {
            vink_store::audit::settle(&app.db).await?;
        }
        Job::FactFold => {
            vink_store::fact::fold(&app.db).await?;
            vink_store::fact::refresh_mirror(&app.db).await?;
        }
        Job::AuditCheckpoint => {
            crate::checkpoint::take(app, false).await?;
        }
        Job::KeyReload => {
            app.db.reload_field_keys();
        }
        Job::Retention => {
            crate::retention::run(app).await?;
        }
        Job::Reminders => {
            let s = crate::reminder::run_once(app).await?;
            if s.notifications + s.sent + s.failed > 0 {
                tracing::info!(
                    notifications = s.notifications,
                    sent = s.sent,
                    failed = s.failed,
                    "reminder pass"
                );
            }
        }
    }
    Ok(())
}

async fn run_forever(app: Arc<App>, job: Job, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let outcome = match run_pass(&app, job).await {
            Ok(()) => "ok",
            Err(e) => {
                tracing::warn!(job = job.name(), error = %e, "job pass failed");
                "failed"
            }
        };
        metrics::counter!("vink_job_runs_total", "job" => job.name(), "outcome" => outcome)
            .increment(1);
    }
}

/// Starts every job and keeps them running until the returned handle is
/// dropped or aborted: the one place `serve` starts background work.
pub fn start(app: Arc<App>, intervals: Intervals) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut set = JoinSet::new();
        let mut ids = std::collections::HashMap::new();
        for job in Job::ALL {
            let h = set.spawn(run_forever(app.clone(), *job, intervals.of(*job)));
            ids.insert(h.id(), *job);
        }
        while let Some(ended) = set.join_next_with_id().await {
            let (id, how) = match ended {
                Ok((id, ())) => (id, "returned"),
                Err(e) => (
                    e.id(),
                    if e.is_panic() {
                        "panicked"
                    } else {
                        "was cancelled"
                    },
                ),
            };
            let Some(job) = ids.remove(&id) else { continue };
            tracing::error!(job = job.name(), "background job {how}; starting it again");
            tokio::time::sleep(Duration::from_secs(5)).await;
            let h = set.spawn(run_forever(app.clone(), job, intervals.of(job)));
            ids.insert(h.id(), job);
        }
    })
}
