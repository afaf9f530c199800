//! The retention job (`domain::retention`): every concern decided without
//! action and past its period is deleted, each in a transaction of its
//! own with its audit row (`retention.delete` by the system, the concern
//! as record, noting how many persons went with it), so the auditor sees
//! every deletion and a failure loses nothing but time. Run by `serve`
//! every hour and by `vink retention run`.

use vink_domain::policy::{Action, RecordRef, Resource};
use vink_domain::retention as rules;
use vink_domain::user::Actor;
use vink_store::micros;
use vink_store::retention as store;

use crate::{App, AppError, Result};

/// Concerns looked up at a time.
const BATCH: i64 = 100;

/// What one run deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionRun {
    pub concerns: u64,
    pub persons: u64,
}

/// Deletes what is due now; nothing when retention is switched off.
pub async fn run(app: &App) -> Result<RetentionRun> {
    let Some(months) = app.config.retention_unfounded_months else {
        return Ok(RetentionRun::default());
    };
    let cutoff = rules::cutoff(app.now(), months)
        .ok_or_else(|| AppError::Internal(format!("retention period {months} months")))?;
    let cutoff = micros(cutoff);
    let system = Actor::system();
    let mut done = RetentionRun::default();
    loop {
        let mut tx = app.db.begin_read().await?;
        let due = store::due_concerns(&mut tx, cutoff, BATCH).await?;
        tx.commit().await?;
        let mut progressed = false;
        for id in &due {
            let tx = app.db.begin().await?;
            let mut tx = app
                .authorize(
                    tx,
                    &system,
                    Action::RetentionRun,
                    &Resource::None,
                    Some(RecordRef::concern(*id)),
                )
                .await?;
            let gone = store::delete_concern(&mut tx, *id, cutoff).await?;
            if gone.concerns == 0 {
                // Another run (or a new course) got there first: no row.
                continue;
            }
            tx.commit_noting(Some(format!("persons_deleted_{}", gone.persons)))
                .await?;
            progressed = true;
            done.concerns += gone.concerns;
            done.persons += gone.persons;
            metrics::counter!("vink_retention_deletions_total", "kind" => "concern")
                .increment(gone.concerns);
            metrics::counter!("vink_retention_deletions_total", "kind" => "person")
                .increment(gone.persons);
        }
        if !progressed || (due.len() as i64) < BATCH {
            break;
        }
    }
    if done.concerns > 0 {
        tracing::info!(
            concerns = done.concerns,
            persons = done.persons,
            "retention: cases past their period deleted"
        );
    }
    Ok(done)
}
