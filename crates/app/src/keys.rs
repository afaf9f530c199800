//! The keys `vink` keeps outside its database: the audit chain's HMAC key and
//! the checkpoint signing key, in one small TOML file (or the same text in
//! `VINK_KEYS`), so that someone who can write the database still cannot
//! forge the audit log. `vink key generate FILE` writes a new one.
//!
//! ```toml
//! audit = "…64 hexadecimal digits…"
//! checkpoint = "…64 hexadecimal digits (an ed25519 seed)…"
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use vink_domain::audit::{AuditKey, CheckpointKey};

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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    audit: String,
    checkpoint: String,
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
        KeySet {
            audit: AuditKey::from_bytes(audit),
            checkpoint: CheckpointKey::from_seed(checkpoint),
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
        if audit == checkpoint {
            return Err(KeyError::Bad {
                where_: where_.to_string(),
                problem: "audit and checkpoint must be different keys".into(),
            });
        }
        Ok(KeySet {
            audit: AuditKey::from_bytes(audit),
            checkpoint: CheckpointKey::from_seed(checkpoint),
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
            return KeySet::parse(&path.display().to_string(), &text);
        }
        match std::env::var("VINK_KEYS") {
            Ok(text) if !text.trim().is_empty() => KeySet::parse("VINK_KEYS", &text),
            _ => Err(KeyError::Missing),
        }
    }

    /// A new key file's text, from the operating system's random source.
    pub fn generate_text() -> Result<String, KeyError> {
        let mut a = [0u8; 32];
        let mut c = [0u8; 32];
        getrandom::fill(&mut a).map_err(|e| KeyError::Random(e.to_string()))?;
        getrandom::fill(&mut c).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(format!(
            "# vink's keys. Keep this file outside the database and its backups,\n\
             # readable only by the service, and a copy in a safe: without the\n\
             # audit key the audit log cannot be verified.\n\
             audit = \"{}\"\n\
             checkpoint = \"{}\"\n",
            hex::encode(a),
            hex::encode(c)
        ))
    }

    /// Writes a new key file readable by its owner only; never overwrites.
    pub fn generate(path: &Path) -> Result<KeySet, KeyError> {
        let text = KeySet::generate_text()?;
        let keys = KeySet::parse("generated keys", &text)?;
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
        assert!(KeySet::generate(&path).is_ok());
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
