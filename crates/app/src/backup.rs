//! Encrypted backups of the SQLite database: a consistent copy taken while
//! the server runs (`VACUUM INTO` on a connection of its own, which reads one
//! snapshot), encrypted with AES-256-GCM in chunks under a key kept outside
//! the database, and restored only when every chunk authenticates.
//!
//! File format: `VINKBAK1`, a 7-byte random nonce prefix, then chunks of
//! `length (u32, big-endian) ‖ ciphertext`. Chunk `i` is sealed with the
//! nonce `prefix ‖ i (u32, big-endian) ‖ last (0 or 1)` and the magic as
//! associated data (the STREAM construction): a chunk cut off, reordered,
//! changed or appended after the last one fails to open.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};

const MAGIC: &[u8; 8] = b"VINKBAK1";
const CHUNK: usize = 1 << 20;
const TAG: usize = 16;

/// Why a backup or restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("the backup key must be 32 bytes, given as 64 hexadecimal digits")]
    BadKey,
    #[error("no backup key: set VINK_BACKUP_KEY or pass --key-file")]
    NoKey,
    #[error("not a vink backup file")]
    NotABackup,
    #[error("the backup file is damaged or was changed, or the key is wrong (chunk {0})")]
    Tampered(u32),
    #[error("the backup file ends before its last chunk")]
    Truncated,
    #[error("{0} exists; restore over it only with --force, with the server stopped")]
    Exists(PathBuf),
    #[error("backups are of the SQLite database; for PostgreSQL use pg_dump (docs/operations.md)")]
    NotSqlite,
    #[error("the restored database fails its integrity check: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Db(#[from] vink_store::StoreError),
    #[error("random source: {0}")]
    Random(String),
}

/// A backup key: 32 bytes from 64 hexadecimal digits (surrounding
/// whitespace ignored), as given in `VINK_BACKUP_KEY` or a key file.
pub struct BackupKey(Key<Aes256Gcm>);

impl BackupKey {
    pub fn parse(text: &str) -> Result<BackupKey, BackupError> {
        let bytes = hex::decode(text.trim()).map_err(|_| BackupError::BadKey)?;
        let key = Key::<Aes256Gcm>::try_from(bytes.as_slice()).map_err(|_| BackupError::BadKey)?;
        Ok(BackupKey(key))
    }

    /// From a key file if given, else from `VINK_BACKUP_KEY`.
    pub fn load(file: Option<&Path>) -> Result<BackupKey, BackupError> {
        match file {
            Some(f) => BackupKey::parse(&std::fs::read_to_string(f)?),
            None => match std::env::var("VINK_BACKUP_KEY") {
                Ok(k) if !k.trim().is_empty() => BackupKey::parse(&k),
                _ => Err(BackupError::NoKey),
            },
        }
    }
}

fn nonce(prefix: &[u8; 7], counter: u32, last: bool) -> Nonce<aes_gcm::aes::cipher::consts::U12> {
    let mut n = [0u8; 12];
    n[..7].copy_from_slice(prefix);
    n[7..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::from(n)
}

/// Reads up to `buf.len()` bytes, fewer only at the end.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Encrypts `plain` into `out` in the backup format.
pub fn seal(
    key: &BackupKey,
    plain: &mut impl Read,
    out: &mut impl Write,
) -> Result<(), BackupError> {
    let cipher = Aes256Gcm::new(&key.0);
    let mut prefix = [0u8; 7];
    getrandom::fill(&mut prefix).map_err(|e| BackupError::Random(e.to_string()))?;
    out.write_all(MAGIC)?;
    out.write_all(&prefix)?;
    let mut current = vec![0u8; CHUNK];
    let mut next = vec![0u8; CHUNK];
    let mut len = fill(plain, &mut current)?;
    let mut counter: u32 = 0;
    loop {
        // A chunk is the last when nothing follows it.
        let next_len = if len == CHUNK {
            fill(plain, &mut next)?
        } else {
            0
        };
        let last = next_len == 0;
        let sealed = cipher
            .encrypt(
                &nonce(&prefix, counter, last),
                Payload {
                    msg: &current[..len],
                    aad: MAGIC,
                },
            )
            .map_err(|_| BackupError::Tampered(counter))?;
        let size = u32::try_from(sealed.len()).map_err(|_| BackupError::Truncated)?;
        out.write_all(&size.to_be_bytes())?;
        out.write_all(&sealed)?;
        if last {
            return Ok(());
        }
        std::mem::swap(&mut current, &mut next);
        len = next_len;
        counter = counter.checked_add(1).ok_or(BackupError::Truncated)?;
    }
}

/// Decrypts a backup into `out`; fails on the first chunk that does not
/// authenticate, on a missing last chunk and on anything after it.
pub fn open(
    key: &BackupKey,
    sealed: &mut impl Read,
    out: &mut impl Write,
) -> Result<(), BackupError> {
    let cipher = Aes256Gcm::new(&key.0);
    let mut head = [0u8; 15];
    if fill(sealed, &mut head)? != head.len() || &head[..8] != MAGIC {
        return Err(BackupError::NotABackup);
    }
    let mut prefix = [0u8; 7];
    prefix.copy_from_slice(&head[8..]);
    let mut counter: u32 = 0;
    loop {
        let mut size = [0u8; 4];
        match fill(sealed, &mut size)? {
            0 => return Err(BackupError::Truncated),
            4 => {}
            _ => return Err(BackupError::Truncated),
        }
        let size = u32::from_be_bytes(size) as usize;
        if !(TAG..=CHUNK + TAG).contains(&size) {
            return Err(BackupError::Tampered(counter));
        }
        let mut chunk = vec![0u8; size];
        if fill(sealed, &mut chunk)? != size {
            return Err(BackupError::Truncated);
        }
        // The chunk says by its nonce whether it is the last: try both.
        let opened = [false, true].into_iter().find_map(|last| {
            cipher
                .decrypt(
                    &nonce(&prefix, counter, last),
                    Payload {
                        msg: &chunk,
                        aad: MAGIC,
                    },
                )
                .ok()
                .map(|p| (p, last))
        });
        let Some((plain, last)) = opened else {
            return Err(BackupError::Tampered(counter));
        };
        out.write_all(&plain)?;
        if last {
            let mut rest = [0u8; 1];
            if fill(sealed, &mut rest)? != 0 {
                return Err(BackupError::Tampered(counter + 1));
            }
            return Ok(());
        }
        counter = counter.checked_add(1).ok_or(BackupError::Truncated)?;
    }
}

/// The file of a `sqlite://` address.
fn sqlite_path(url: &str) -> Result<PathBuf, BackupError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or(BackupError::NotSqlite)?;
    let path = rest.split('?').next().unwrap_or(rest);
    Ok(PathBuf::from(path))
}

/// A temporary file beside `target` (same file system, so a rename is
/// atomic), removed when dropped unless kept.
struct Beside(PathBuf);

impl Beside {
    fn new(target: &Path, what: &str) -> Beside {
        let name = format!(
            ".{}.{what}-{}",
            target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            uuid::Uuid::now_v7().simple()
        );
        Beside(target.with_file_name(name))
    }
}

impl Drop for Beside {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Takes a consistent copy of the database at `url` while it is in use
/// and writes it encrypted to `file`.
pub async fn backup(url: &str, key: &BackupKey, file: &Path) -> Result<u64, BackupError> {
    let db = sqlite_path(url)?;
    let copy = Beside::new(file, "copy");
    vink_store::backup::copy_sqlite(&db, &copy.0).await?;
    let sealed = Beside::new(file, "sealed");
    {
        let mut plain = std::io::BufReader::new(std::fs::File::open(&copy.0)?);
        let mut out = std::io::BufWriter::new(std::fs::File::create(&sealed.0)?);
        seal(key, &mut plain, &mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    std::fs::rename(&sealed.0, file)?;
    Ok(std::fs::metadata(file)?.len())
}

/// Restores `file` to the database at `url`: decrypted and checked whole
/// beside it first, then moved into place. Refuses to replace an existing
/// database without `force`.
pub async fn restore(
    url: &str,
    key: &BackupKey,
    file: &Path,
    force: bool,
) -> Result<(), BackupError> {
    let db = sqlite_path(url)?;
    if db.exists() && !force {
        return Err(BackupError::Exists(db));
    }
    let plain = Beside::new(&db, "restore");
    {
        let mut sealed = std::io::BufReader::new(std::fs::File::open(file)?);
        let mut out = std::io::BufWriter::new(std::fs::File::create(&plain.0)?);
        open(key, &mut sealed, &mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    let check = vink_store::backup::integrity(&plain.0).await?;
    if check != "ok" {
        return Err(BackupError::Corrupt(check));
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", db.display()));
        if side.exists() {
            std::fs::remove_file(side)?;
        }
    }
    std::fs::rename(&plain.0, &db)?;
    Ok(())
}

/// The audit row of a backup taken or restored (by the command line, as
/// the system): a backup is a copy of every record.
pub async fn audit(app: &crate::App) -> crate::Result<()> {
    use vink_domain::policy::{Action, Resource};
    let tx = app.db.begin().await?;
    let tx = app
        .authorize(
            tx,
            &vink_domain::user::Actor::system(),
            Action::Backup,
            &Resource::None,
            None,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> BackupKey {
        BackupKey::parse(&"ab".repeat(32)).unwrap_or_else(|_| unreachable!())
    }

    fn roundtrip(len: usize) -> Vec<u8> {
        let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut sealed = Vec::new();
        seal(&key(), &mut plain.as_slice(), &mut sealed).unwrap_or_else(|e| panic!("{e}"));
        let mut back = Vec::new();
        open(&key(), &mut sealed.as_slice(), &mut back).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, plain, "{len} bytes");
        sealed
    }

    #[test]
    fn any_length_round_trips() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 7] {
            roundtrip(len);
        }
    }

    #[test]
    fn a_changed_cut_or_extended_file_is_refused() {
        let sealed = roundtrip(2 * CHUNK + 7);
        let fails = |bytes: &[u8]| {
            let mut out = Vec::new();
            open(&key(), &mut &bytes[..], &mut out).is_err()
        };
        let mut flipped = sealed.clone();
        flipped[CHUNK + 100] ^= 1;
        assert!(fails(&flipped), "a changed byte");
        // Cut after the first chunk: its nonce says it is not the last.
        assert!(
            fails(&sealed[..15 + 4 + CHUNK + TAG]),
            "cut at a chunk boundary"
        );
        assert!(fails(&sealed[..sealed.len() - 1]), "cut inside a chunk");
        let mut longer = sealed.clone();
        longer.push(0);
        assert!(fails(&longer), "appended bytes");
        let other = BackupKey::parse(&"cd".repeat(32)).unwrap_or_else(|_| unreachable!());
        assert!(
            open(&other, &mut sealed.as_slice(), &mut Vec::new()).is_err(),
            "wrong key"
        );
        assert!(matches!(BackupKey::parse("abc"), Err(BackupError::BadKey)));
    }
}
