//! The keys `vink` keeps outside its database: the audit chain's HMAC key,
//! the checkpoint signing key and the field keys that encrypt free text, in
//! one small TOML file (or the same text in `VINK_KEYS`), so that someone
//! who can read or write the database still can neither read the notes nor
//! forge the audit log. `vink key generate FILE` writes a new one; `vink key
//! rotate` adds a field key and re-encrypts under it.
//!
//! ```toml
//! audit = "…64 hexadecimal digits…"
//! checkpoint = "…64 hexadecimal digits (an ed25519 seed)…"
//! [fields]
//! current = "k2"
//! k1 = "…64 hexadecimal digits…"
//! k2 = "…64 hexadecimal digits…"
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use serde::Deserialize;
use vink_domain::audit::{AuditKey, CheckpointKey};
use vink_store::sealed::{FieldKeys, valid_key_id};

/// Why the keys could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "no keys: pass --keys FILE, or set VINK_KEYS_FILE or VINK_KEYS (create a file with `vink key generate FILE`)"
    )]
    Missing,
    #[error("the keys in {where_} are unreadable: {problem}")]
    Bad { where_: String, problem: String },
    #[error("{0} exists already; keys are never overwritten")]
    Exists(PathBuf),
    #[error("keys file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("random source: {0}")]
    Random(String),
}

/// The keys, as loaded. Debug output never shows them.
#[derive(Debug, Clone)]
pub struct KeySet {
    pub audit: AuditKey,
    pub checkpoint: CheckpointKey,
    /// The field keys; none in a file from before field encryption (`vink
    /// key rotate` adds one).
    pub fields: Option<FieldKeys>,
    /// The field keys as text, id → hex, with the current id (to write the
    /// file again on rotation).
    field_text: Option<(String, BTreeMap<String, String>)>,
    /// The file they came from, to read again on rotation.
    pub source: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    audit: String,
    checkpoint: String,
    fields: Option<BTreeMap<String, String>>,
}

fn key32(where_: &str, name: &str, hex_text: &str) -> Result<[u8; 32], KeyError> {
    let bad = |problem: &str| KeyError::Bad {
        where_: where_.to_string(),
        problem: format!("{name}: {problem}"),
    };
    let bytes = hex::decode(hex_text.trim()).map_err(|_| bad("not hexadecimal"))?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| bad("must be 32 bytes (64 hexadecimal digits)"))?;
    if key == [0; 32] {
        return Err(bad("is all zeros"));
    }
    Ok(key)
}

impl KeySet {
    /// From raw key bytes (tests and embedding; operators use files).
    pub fn from_bytes(audit: [u8; 32], checkpoint: [u8; 32]) -> KeySet {
        let field = [audit, checkpoint]
            .concat()
            .iter()
            .map(|b| b ^ 0x5c)
            .take(32)
            .collect::<Vec<u8>>();
        let field: [u8; 32] = field.try_into().unwrap_or([7; 32]);
        KeySet {
            audit: AuditKey::from_bytes(audit),
            checkpoint: CheckpointKey::from_seed(checkpoint),
            fields: FieldKeys::new("k1", vec![("k1".into(), field)]),
            field_text: Some((
                "k1".into(),
                BTreeMap::from([("k1".to_string(), hex::encode(field))]),
            )),
            source: None,
        }
    }

    /// Parses the file's text; `where_` names its source in errors (never
    /// the text itself).
    pub fn parse(where_: &str, text: &str) -> Result<KeySet, KeyError> {
        let f: KeyFile = toml::from_str(text).map_err(|e| KeyError::Bad {
            where_: where_.to_string(),
            problem: e.message().to_string(),
        })?;
        let audit = key32(where_, "audit", &f.audit)?;
        let checkpoint = key32(where_, "checkpoint", &f.checkpoint)?;
        let bad = |problem: String| KeyError::Bad {
            where_: where_.to_string(),
            problem,
        };
        if audit == checkpoint {
            return Err(bad("audit and checkpoint must be different keys".into()));
        }
        let (fields, field_text) = match f.fields {
            None => (None, None),
            Some(mut table) => {
                let current = table
                    .remove("current")
                    .ok_or_else(|| bad("fields: no `current` key id".into()))?;
                let mut keys = Vec::new();
                for (id, hex_text) in &table {
                    if !valid_key_id(id) {
                        return Err(bad(format!(
                            "fields: key id {id:?} (letters, digits, - and _, at most 16)"
                        )));
                    }
                    let k = key32(where_, &format!("fields.{id}"), hex_text)?;
                    if k == audit || k == checkpoint {
                        return Err(bad(format!("fields.{id}: must differ from the other keys")));
                    }
                    keys.push((id.clone(), k));
                }
                let fk = FieldKeys::new(&current, keys).ok_or_else(|| {
                    bad(format!(
                        "fields: current names {current:?}, which is not there"
                    ))
                })?;
                (Some(fk), Some((current, table)))
            }
        };
        Ok(KeySet {
            audit: AuditKey::from_bytes(audit),
            checkpoint: CheckpointKey::from_seed(checkpoint),
            fields,
            field_text,
            source: None,
        })
    }

    /// From the file if given (`--keys` or `VINK_KEYS_FILE`), else from
    /// `VINK_KEYS`; `Missing` when neither.
    pub fn load(file: Option<&Path>) -> Result<KeySet, KeyError> {
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let mut keys = KeySet::parse(&path.display().to_string(), &text)?;
            keys.source = Some(path.to_path_buf());
            return Ok(keys);
        }
        match std::env::var("VINK_KEYS") {
            Ok(text) if !text.trim().is_empty() => KeySet::parse("VINK_KEYS", &text),
            _ => Err(KeyError::Missing),
        }
    }

    /// A new key file's text, from the operating system's random source.
    pub fn generate_text() -> Result<String, KeyError> {
        let (a, c, f) = (random32()?, random32()?, random32()?);
        Ok(file_text(
            &hex::encode(a),
            &hex::encode(c),
            "k1",
            &BTreeMap::from([("k1".to_string(), hex::encode(f))]),
        ))
    }

    /// Adds a new field key, made current, and writes the file again
    /// (atomically, owner-readable only; older keys stay, for values and
    /// backups still under them). Returns the new key set.
    pub fn add_field_key(&self) -> Result<KeySet, KeyError> {
        let Some(path) = &self.source else {
            return Err(KeyError::Bad {
                where_: "VINK_KEYS".into(),
                problem: "a rotation writes the keys file: pass --keys FILE".into(),
            });
        };
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.clone(),
            source,
        })?;
        let f: KeyFile = toml::from_str(&text).map_err(|e| KeyError::Bad {
            where_: path.display().to_string(),
            problem: e.message().to_string(),
        })?;
        let mut table = self.field_text.clone().map(|(_, t)| t).unwrap_or_default();
        let next = (1..)
            .map(|n| format!("k{n}"))
            .find(|id| !table.contains_key(id))
            .unwrap_or_else(|| "k0".into());
        table.insert(next.clone(), hex::encode(random32()?));
        let new_text = file_text(&f.audit, &f.checkpoint, &next, &table);
        let io = |source| KeyError::Io {
            path: path.clone(),
            source,
        };
        let tmp = path.with_extension("toml.new");
        let _ = std::fs::remove_file(&tmp);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(&tmp).map_err(io)?;
        file.write_all(new_text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        KeySet::load(Some(path))
    }

    /// Writes a new key file readable by its owner only; never overwrites.
    pub fn generate(path: &Path) -> Result<KeySet, KeyError> {
        let text = KeySet::generate_text()?;
        let mut keys = KeySet::parse("generated keys", &text)?;
        // Read again from here on a rotation, like keys loaded from a file.
        keys.source = Some(path.to_path_buf());
        let io = |source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = match opts.open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(KeyError::Exists(path.to_path_buf()));
            }
            Err(e) => return Err(io(e)),
        };
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok(keys)
    }
}

/// What one pass of a rotation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Sealed values looked at.
    pub looked: usize,
    /// Of those, re-sealed under the current key (the others were already).
    pub resealed: usize,
}

/// One pass over every encrypted column: each value not under the current
/// field key (or from before encryption) is sealed under it, in batches of
/// `batch` rows, each its own short write, so a running server goes on
/// between them. Audited as one `key.rotate` row by the system.
pub async fn reseal_pass(app: &crate::App, batch: i64) -> crate::Result<Resealed> {
    use vink_domain::policy::{Action, Resource};
    let tx = app.db.begin().await?;
    let tx = app
        .authorize(
            tx,
            &vink_domain::user::Actor::system(),
            Action::KeyRotate,
            &Resource::None,
            None,
        )
        .await?;
    tx.commit().await?;
    let mut out = Resealed::default();
    for col in vink_store::sealed::COLUMNS {
        let mut cursor = vink_store::sealed::Cursor::default();
        loop {
            let (n, r) = vink_store::sealed::reseal_batch(&app.db, col, &mut cursor, batch).await?;
            out.looked += n;
            out.resealed += r;
            if (n as i64) < batch {
                break;
            }
        }
    }
    Ok(out)
}

fn random32() -> Result<[u8; 32], KeyError> {
    let mut k = [0u8; 32];
    getrandom::fill(&mut k).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(k)
}

fn file_text(
    audit: &str,
    checkpoint: &str,
    current: &str,
    fields: &BTreeMap<String, String>,
) -> String {
    let mut out = format!(
        "# vink's keys. Keep this file outside the database and its backups,\n\
         # readable only by the service, and a copy in a safe: without the\n\
         # audit key the audit log cannot be verified, and without the field\n\
         # keys the notes cannot be read.\n\
         audit = \"{audit}\"\n\
         checkpoint = \"{checkpoint}\"\n\n\
         [fields]\n\
         current = \"{current}\"\n"
    );
    for (id, k) in fields {
        out.push_str(&format!("{id} = \"{k}\"\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_text_parses_and_differs_each_time() {
        let a = KeySet::generate_text().unwrap_or_default();
        let b = KeySet::generate_text().unwrap_or_default();
        assert_ne!(a, b);
        assert!(KeySet::parse("t", &a).is_ok());
    }

    #[test]
    fn bad_files_name_the_problem_never_the_key() {
        let secret = "ab".repeat(31);
        let text = format!(
            "audit = \"{secret}\"\ncheckpoint = \"{}\"\n",
            "cd".repeat(32)
        );
        let e = KeySet::parse("k.toml", &text)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.contains("audit") && e.contains("32 bytes"), "{e}");
        assert!(!e.contains(&secret), "{e}");
        let e = KeySet::parse("k.toml", "audit = \"00\"\n")
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.contains("k.toml"), "{e}");
        let same = format!("audit = \"{0}\"\ncheckpoint = \"{0}\"\n", "cd".repeat(32));
        assert!(KeySet::parse("k", &same).is_err());
        let extra = format!(
            "audit = \"{}\"\ncheckpoint = \"{}\"\naudti = \"x\"\n",
            "ab".repeat(32),
            "cd".repeat(32)
        );
        assert!(
            KeySet::parse("k", &extra).is_err(),
            "a misspelt key is refused"
        );
    }

    #[test]
    fn debug_output_hides_the_keys() {
        let text = KeySet::generate_text().unwrap_or_default();
        let keys = KeySet::parse("t", &text).map_err(|e| e.to_string());
        let shown = format!("{keys:?}");
        for line in text.lines().filter(|l| l.starts_with("audit")) {
            let hexkey = line.split('"').nth(1).unwrap_or("none");
            assert!(!shown.contains(hexkey), "{shown}");
        }
    }

    #[test]
    fn generate_never_overwrites() {
        let dir = std::env::temp_dir().join(format!("vink-keys-{}", uuid::Uuid::now_v7()));
        let path = dir.join("keys.toml");
        let made = KeySet::generate(&path).map(|k| k.source);
        assert_eq!(made.ok().flatten().as_deref(), Some(path.as_path()));
        assert!(matches!(KeySet::generate(&path), Err(KeyError::Exists(_))));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
