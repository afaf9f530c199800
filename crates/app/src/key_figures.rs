//! The key-figure report: every figure of the catalogue for any period, and
//! the period of equal length before it, from the anonymous facts only.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vink_domain::key_figures::{Figure, figures, suppress};
use vink_domain::metrics::Period;
use vink_domain::policy::{Action, Resource, sees_small_numbers};
use vink_domain::report::DEFAULT_TARGET_PERCENT;
use vink_domain::series::Series;
use vink_domain::user::Actor;

use crate::{App, AppError, Result};

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyFigureQuery {
    /// First day (`YYYY-MM-DD` or `dd.mm.åååå`, Copenhagen), inclusive.
    pub from: Option<String>,
    /// Last day, inclusive.
    pub to: Option<String>,
}

/// One period's figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodFigures {
    pub from: String,
    pub to: String,
    pub figures: Vec<Figure>,
}

/// The report: the period asked for, and the one before it for comparison.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyFigureReport {
    pub from: String,
    pub to: String,
    pub figures: Vec<Figure>,
    /// The period of equal length just before.
    pub previous: Option<PeriodFigures>,
    /// True when small numbers are hidden for this reader.
    pub suppressed_small_numbers: bool,
    /// The period month by month, for the charts.
    pub series: Series,
}

impl KeyFigureReport {
    /// A figure by code.
    pub fn figure(&self, code: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.code == code)
    }
    /// The previous period's figure by code.
    pub fn previous_figure(&self, code: &str) -> Option<&Figure> {
        self.previous
            .as_ref()
            .and_then(|p| p.figures.iter().find(|f| f.code == code))
    }
}

/// The report for `[from, to]`. Audited as one read with no record: it names
/// nobody.
pub async fn report(app: &App, actor: &Actor, q: &KeyFigureQuery) -> Result<KeyFigureReport> {
    let period = Period::parse(q.from.as_deref(), q.to.as_deref()).map_err(AppError::Invalid)?;
    let tx = app.db.begin_read_planned().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::KeyFigureRead, &Resource::None, None)
        .await?;
    let hide = !sees_small_numbers(actor);
    let sums = vink_store::fact::report(&mut tx, &period).await?;
    let evaluate = |s: &vink_domain::key_figures::Sums| {
        let mut f = figures(s, DEFAULT_TARGET_PERCENT);
        if hide {
            suppress(&mut f);
        }
        f
    };
    let current = evaluate(&sums.current);
    let previous = sums.previous.as_ref().map(|(p, s)| PeriodFigures {
        from: p.from.to_string(),
        to: p.to.to_string(),
        figures: evaluate(s),
    });
    let series = vink_domain::series::series(&sums.monthly, &period, hide);
    tx.commit().await?;
    Ok(KeyFigureReport {
        from: period.from.to_string(),
        to: period.to.to_string(),
        figures: current,
        previous,
        suppressed_small_numbers: hide,
        series,
    })
}
