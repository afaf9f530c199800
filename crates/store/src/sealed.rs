//! Encryption at rest of the free-text columns that may hold
//! special-category data (concern descriptions, timeline reasons, minutes,
//! recommendations, course notes, goals, contact notes, assessment
//! comments, second-factor secrets): AES-256-GCM per value, a random
//! 96-bit nonce, and the table, column and row as associated data, so a
//! value copied to another row or column does not open. The key id is
//! stored with the value, so keys can be rotated while values under older
//! keys still open: `enc1:<key id>:<base64 of nonce ‖ ciphertext>`.
//!
//! Sealing happens in the store functions that write these columns and
//! opening in those that read them, so nothing above the store sees
//! ciphertext or can forget to encrypt. A value without the prefix is from
//! before encryption and is read as it is until `vink key rotate` seals it.

use std::collections::BTreeMap;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use crate::{Result, StoreError, Tx};

const PREFIX: &str = "enc1:";

/// The field keys: the current one seals, every one known opens. Debug
/// output shows key ids only.
#[derive(Clone)]
pub struct FieldKeys {
    current: String,
    keys: BTreeMap<String, Key<Aes256Gcm>>,
}

impl std::fmt::Debug for FieldKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FieldKeys(current {}, known {:?})",
            self.current,
            self.keys.keys().collect::<Vec<_>>()
        )
    }
}

/// Whether a key id can be stored in a value: short, no separator.
pub fn valid_key_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 16
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl FieldKeys {
    /// `current` must be one of `keys`; ids per [`valid_key_id`].
    pub fn new(current: &str, keys: Vec<(String, [u8; 32])>) -> Option<FieldKeys> {
        if keys.iter().any(|(id, _)| !valid_key_id(id)) {
            return None;
        }
        let keys: BTreeMap<String, Key<Aes256Gcm>> = keys
            .into_iter()
            .map(|(id, k)| (id, Key::<Aes256Gcm>::from(k)))
            .collect();
        keys.contains_key(current).then(|| FieldKeys {
            current: current.to_string(),
            keys,
        })
    }

    pub fn current_id(&self) -> &str {
        &self.current
    }

    fn aad(place: &str, row: &str) -> Vec<u8> {
        format!("vink-field-v1\0{place}\0{row}").into_bytes()
    }

    /// Seals `text` for column `place` (`table.column`) of row `row`.
    pub fn seal(&self, place: &str, row: &str, text: &str) -> Result<String> {
        let key = self.keys.get(&self.current).ok_or(StoreError::NoFieldKey)?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce)
            .map_err(|e| StoreError::Corrupt(format!("random source: {e}")))?;
        let aad = Self::aad(place, row);
        let ct = Aes256Gcm::new(key)
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: text.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| StoreError::Corrupt(format!("{place}: cannot be encrypted")))?;
        let mut blob = Vec::with_capacity(12 + ct.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ct);
        Ok(format!(
            "{PREFIX}{}:{}",
            self.current,
            STANDARD_NO_PAD.encode(blob)
        ))
    }

    /// The key id a stored value is sealed under; none for a value from
    /// before encryption.
    pub fn key_of(stored: &str) -> Option<&str> {
        stored.strip_prefix(PREFIX)?.split_once(':').map(|(k, _)| k)
    }

    /// Opens a stored value; `Ok(None)` when its key is not known (the
    /// caller may reload the keys and try again). A changed value, or one
    /// moved from another row or column, is an error.
    pub fn open(&self, place: &str, row: &str, stored: &str) -> Result<Option<String>> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(Some(stored.to_string()));
        };
        let bad = || StoreError::Corrupt(format!("{place} of {row}: cannot be decrypted"));
        let (kid, b64) = rest.split_once(':').ok_or_else(bad)?;
        let Some(key) = self.keys.get(kid) else {
            return Ok(None);
        };
        let blob = STANDARD_NO_PAD.decode(b64).map_err(|_| bad())?;
        if blob.len() < 12 + 16 {
            return Err(bad());
        }
        let (nonce, ct) = blob.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| bad())?;
        let aad = Self::aad(place, row);
        let pt = Aes256Gcm::new(key)
            .decrypt(&Nonce::from(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| bad())?;
        String::from_utf8(pt).map(Some).map_err(|_| bad())
    }
}

/// Seals a value in a store function that writes it.
pub(crate) fn seal(tx: &Tx, place: &str, row: &str, text: &str) -> Result<String> {
    tx.keys().fields()?.seal(place, row, text)
}

/// Seals an optional value.
pub(crate) fn seal_opt(
    tx: &Tx,
    place: &str,
    row: &str,
    text: Option<&str>,
) -> Result<Option<String>> {
    text.map(|t| seal(tx, place, row, t)).transpose()
}

/// Opens a value in a store function that reads it. A key id this process
/// does not know yet (a rotation under way) reloads the keys once.
pub(crate) fn open(tx: &Tx, place: &str, row: &str, stored: &str) -> Result<String> {
    if let Some(v) = tx.keys().fields()?.open(place, row, stored)? {
        return Ok(v);
    }
    tx.keys().reload_fields();
    tx.keys()
        .fields()?
        .open(place, row, stored)?
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "{place} of {row}: sealed under a key this server does not have"
            ))
        })
}

/// Opens an optional value in place.
pub(crate) fn open_opt(tx: &Tx, place: &str, row: &str, v: &mut Option<String>) -> Result<()> {
    if let Some(s) = v.as_mut() {
        *s = open(tx, place, row, s)?;
    }
    Ok(())
}

/// Opens a value in place.
pub(crate) fn open_in(tx: &Tx, place: &str, row: &str, v: &mut String) -> Result<()> {
    *v = open(tx, place, row, v)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> FieldKeys {
        FieldKeys::new("k2", vec![("k1".into(), [1; 32]), ("k2".into(), [2; 32])]).unwrap_or_else(
            || FieldKeys::new("x", vec![("x".into(), [0; 32])]).unwrap_or_else(|| unreachable!()),
        )
    }

    #[test]
    fn a_value_opens_only_in_its_place() {
        let k = keys();
        let s = k
            .seal("concerns.description", "r1", "Fiktiv tekst æøå")
            .unwrap_or_default();
        assert!(s.starts_with("enc1:k2:"), "{s}");
        assert!(!s.contains("Fiktiv"));
        assert_eq!(
            k.open("concerns.description", "r1", &s)
                .ok()
                .flatten()
                .as_deref(),
            Some("Fiktiv tekst æøå")
        );
        assert!(
            k.open("concerns.description", "r2", &s).is_err(),
            "another row"
        );
        assert!(
            k.open("meetings.minutes", "r1", &s).is_err(),
            "another column"
        );
        // Every byte of the sealed part matters.
        let mut changed = s.clone().into_bytes();
        let last = changed.len() - 2;
        changed[last] = if changed[last] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(changed).unwrap_or_default();
        assert!(k.open("concerns.description", "r1", &changed).is_err());
        // Two seals of one text differ (a fresh nonce each).
        assert_ne!(
            s,
            k.seal("concerns.description", "r1", "Fiktiv tekst æøå")
                .unwrap_or_default()
        );
    }

    #[test]
    fn older_keys_open_unknown_ones_ask_and_plain_text_passes() {
        let old =
            FieldKeys::new("k1", vec![("k1".into(), [1; 32])]).unwrap_or_else(|| unreachable!());
        let s = old.seal("t.c", "r", "tekst").unwrap_or_default();
        assert_eq!(
            keys().open("t.c", "r", &s).ok().flatten().as_deref(),
            Some("tekst")
        );
        let newer = keys().seal("t.c", "r", "tekst").unwrap_or_default();
        assert_eq!(
            old.open("t.c", "r", &newer).ok(),
            Some(None),
            "unknown key id"
        );
        assert_eq!(
            keys()
                .open("t.c", "r", "gammel tekst")
                .ok()
                .flatten()
                .as_deref(),
            Some("gammel tekst")
        );
        assert_eq!(FieldKeys::key_of(&newer), Some("k2"));
        assert_eq!(FieldKeys::key_of("gammel tekst"), None);
    }

    #[test]
    fn key_ids_are_checked_and_debug_hides_keys() {
        assert!(FieldKeys::new("a:b", vec![("a:b".into(), [1; 32])]).is_none());
        assert!(FieldKeys::new("k9", vec![("k1".into(), [1; 32])]).is_none());
        let shown = format!("{:?}", keys());
        assert!(shown.contains("k2") && !shown.contains("[2, 2"), "{shown}");
    }
}

/// How a sealed column's row is named in its associated data.
#[derive(Debug, Clone, Copy)]
pub enum RowKey {
    /// By its `id` column.
    Id(&'static str),
    /// By two id columns, `a/b`.
    Pair(&'static str, &'static str),
    /// By an id column and a text column, `a/b`.
    IdText(&'static str, &'static str),
}

/// One encrypted column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub table: &'static str,
    pub column: &'static str,
    pub key: RowKey,
}

impl Column {
    fn place(&self) -> String {
        format!("{}.{}", self.table, self.column)
    }
}

/// Every encrypted column: what a rotation walks.
pub const COLUMNS: &[Column] = &[
    Column {
        table: "concerns",
        column: "description",
        key: RowKey::Id("id"),
    },
    Column {
        table: "concern_events",
        column: "reason",
        key: RowKey::Id("id"),
    },
    Column {
        table: "meetings",
        column: "minutes",
        key: RowKey::Id("id"),
    },
    Column {
        table: "agenda_items",
        column: "recommendation",
        key: RowKey::Pair("meeting_id", "concern_id"),
    },
    Column {
        table: "course_events",
        column: "note",
        key: RowKey::Id("id"),
    },
    Column {
        table: "course_goals",
        column: "text",
        key: RowKey::Id("id"),
    },
    Column {
        table: "course_contacts",
        column: "note",
        key: RowKey::Id("id"),
    },
    Column {
        table: "assessment_ratings",
        column: "comment",
        key: RowKey::IdText("assessment_id", "area"),
    },
    Column {
        table: "second_factors",
        column: "secret",
        key: RowKey::Id("user_id"),
    },
];

/// Where a rotation pass over one column stands: after this row key.
#[derive(Debug, Clone, Default)]
pub struct Cursor(Option<(Uuid, String)>);

use uuid::Uuid;

/// Re-seals up to `limit` values of `col` after `cursor` under the current
/// key, in one write transaction, each by a conditional update (a value
/// the server changed meanwhile is left for the next pass). Returns how
/// many rows were looked at and how many re-sealed; `cursor` moves on.
pub async fn reseal_batch(
    db: &crate::Db,
    col: &Column,
    cursor: &mut Cursor,
    limit: i64,
) -> Result<(usize, usize)> {
    let mut tx = db.begin().await?;
    let keys = tx.keys().fields()?;
    let (k1, k2) = match col.key {
        RowKey::Id(a) => (a, None),
        RowKey::Pair(a, b) | RowKey::IdText(a, b) => (a, Some(b)),
    };
    let second = k2.map(|b| format!(", {b}")).unwrap_or_default();
    let order = format!("{k1}{second}");
    let after = match (&cursor.0, k2) {
        (None, _) => String::new(),
        (Some(_), None) => format!(" AND {k1} > $2"),
        (Some(_), Some(b)) => format!(" AND ({k1}, {b}) > ($2, $3)"),
    };
    let sql = format!(
        "SELECT {k1}, {col2}, {c} FROM {t} WHERE {c} IS NOT NULL{after} ORDER BY {order} LIMIT $1",
        col2 = match col.key {
            RowKey::Id(a) => format!("CAST(NULL AS TEXT) AS {a}_none"),
            RowKey::Pair(_, b) | RowKey::IdText(_, b) => b.to_string(),
        },
        c = col.column,
        t = col.table,
    );
    // Rows as (key, second key as text, value).
    let rows: Vec<(Uuid, Option<String>, String)> = match col.key {
        RowKey::Pair(..) => {
            let r: Vec<(Uuid, Uuid, String)> = crate::on!(&mut tx, |c| {
                let q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(limit);
                let q = match &cursor.0 {
                    Some((a, b)) => q.bind(*a).bind(Uuid::parse_str(b).unwrap_or_default()),
                    None => q,
                };
                q.fetch_all(c).await?
            });
            r.into_iter()
                .map(|(a, b, v)| (a, Some(b.to_string()), v))
                .collect()
        }
        RowKey::IdText(..) => crate::on!(&mut tx, |c| {
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(limit);
            let q = match &cursor.0 {
                Some((a, b)) => q.bind(*a).bind(b.clone()),
                None => q,
            };
            q.fetch_all(c).await?
        }),
        RowKey::Id(_) => crate::on!(&mut tx, |c| {
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(limit);
            let q = match &cursor.0 {
                Some((a, _)) => q.bind(*a),
                None => q,
            };
            q.fetch_all(c).await?
        }),
    };
    let place = col.place();
    let mut resealed = 0;
    for (a, b, stored) in &rows {
        if FieldKeys::key_of(stored) == Some(keys.current_id()) {
            continue;
        }
        let row = match b {
            Some(b) => format!("{a}/{b}"),
            None => a.to_string(),
        };
        let plain = keys.open(&place, &row, stored)?.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "{place} of {row}: under a key not in the keys file"
            ))
        })?;
        let fresh = keys.seal(&place, &row, &plain)?;
        let (wk, wv) = match (col.key, b) {
            (RowKey::Id(k), _) => (format!("{k} = $3"), None),
            (RowKey::Pair(x, y), Some(_)) | (RowKey::IdText(x, y), Some(_)) => {
                (format!("{x} = $3 AND {y} = $4"), b.clone())
            }
            _ => continue,
        };
        let update = format!(
            "UPDATE {t} SET {c} = $1 WHERE {c} = $2 AND {wk}",
            t = col.table,
            c = col.column
        );
        let n = crate::on!(&mut tx, |c| {
            let q = sqlx::query(sqlx::AssertSqlSafe(update.clone()))
                .bind(&fresh)
                .bind(stored)
                .bind(*a);
            let q = match (&wv, col.key) {
                (Some(v), RowKey::Pair(..)) => q.bind(Uuid::parse_str(v).unwrap_or_default()),
                (Some(v), _) => q.bind(v.clone()),
                (None, _) => q,
            };
            q.execute(c).await?.rows_affected()
        });
        resealed += n as usize;
    }
    if let Some((a, b, _)) = rows.last() {
        cursor.0 = Some((*a, b.clone().unwrap_or_default()));
    }
    tx.commit().await?;
    Ok((rows.len(), resealed))
}

/// Whether the field keys open this database's text, judged by its newest
/// concern description (always present, always sealed once written):
/// `Ok(())`, or why not. Run at start, so a wrong or incomplete keys file
/// stops the server before any page fails.
pub async fn key_check(db: &crate::Db) -> Result<std::result::Result<(), String>> {
    let mut tx = db.begin_read().await?;
    let keys = tx.keys().fields()?;
    let row: Option<(Uuid, String)> = crate::on!(&mut tx, |c| sqlx::query_as(
        "SELECT id, description FROM concerns ORDER BY id DESC LIMIT 1"
    )
    .fetch_optional(c)
    .await?);
    tx.commit().await?;
    let Some((id, stored)) = row else {
        return Ok(Ok(()));
    };
    Ok(
        match keys.open("concerns.description", &id.to_string(), &stored) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(format!(
                "the database's text is sealed under field key {}, which the keys file does not have",
                FieldKeys::key_of(&stored).unwrap_or("?")
            )),
            Err(_) => Err(
                "the field keys do not open the database's text (another keys file?)".to_string(),
            ),
        },
    )
}
