//! The agencies of the coordination unit. Not personal data: open to every
//! signed-in user, for forms and labels.

use crate::App;
use crate::Result;
use crate::triage::AgencyView;

pub async fn agencies(app: &App) -> Result<Vec<AgencyView>> {
    let mut tx = app.db.begin_read().await?;
    let list = vink_store::organisation::list_agencies(&mut tx).await?;
    tx.commit().await?;
    Ok(list
        .into_iter()
        .map(|a| AgencyView {
            id: a.id,
            code: a.code,
            name: a.name,
        })
        .collect())
}
