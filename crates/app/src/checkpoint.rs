//! Signed checkpoints of the audit chain's head, written outside the
//! database: one JSON line per checkpoint appended to a file (and, if asked,
//! sent to syslog). The chain's HMAC stops anyone without the key from
//! rewriting rows; a checkpoint stops what the HMAC cannot: cutting rows off
//! the end and setting the head back to an earlier, genuine row.
//!
//! The writer never signs a head unless the last checkpoint it wrote is
//! still on the chain, so a server cannot bless a chain cut behind its back;
//! verification checks every checkpoint since the last restore.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use vink_domain::audit::{Checkpoint, SignedCheckpoint};
use vink_store::audit as store;

use crate::keys::KeySet;
use crate::{App, AppError, Result};

/// Where checkpoints go.
#[derive(Debug, Clone)]
pub struct CheckpointConfig {
    /// The checkpoint file; none: no checkpoints (the tail is unprotected,
    /// and `vink audit verify` says so).
    pub file: Option<PathBuf>,
    /// A syslog socket (`/dev/log`) each checkpoint is also sent to.
    pub syslog: Option<PathBuf>,
    /// How often the server writes one (when the head has moved).
    pub interval: Duration,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        CheckpointConfig {
            file: None,
            syslog: None,
            interval: Duration::from_secs(60),
        }
    }
}

/// Reads the file's lines. A missing file is no checkpoints; a line that
/// does not parse, or is not signed by our key, is tampering and an error
/// naming the line.
fn read_signed(path: &Path, keys: &KeySet) -> Result<Vec<SignedCheckpoint>> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(AppError::Internal(format!("{}: {e}", path.display()))),
    };
    let public = keys.checkpoint.verifying_key();
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: &str| {
            AppError::Internal(format!(
                "checkpoint file {} line {}: {what}",
                path.display(),
                i + 1
            ))
        };
        let signed: SignedCheckpoint =
            serde_json::from_str(&line).map_err(|_| bad("not a checkpoint"))?;
        if !signed.verify(&public) {
            return Err(bad("not signed by this checkpoint key (changed or forged)"));
        }
        out.push(signed);
    }
    Ok(out)
}

/// The checkpoints that bind the chain now: every one from the last
/// restore on (all, if there was none).
pub fn binding(config: &CheckpointConfig, keys: &KeySet) -> Result<Vec<Checkpoint>> {
    let Some(path) = &config.file else {
        return Ok(Vec::new());
    };
    let all = read_signed(path, keys)?;
    let from = all.iter().rposition(|s| s.checkpoint.restored).unwrap_or(0);
    Ok(all.into_iter().skip(from).map(|s| s.checkpoint).collect())
}

/// Takes a checkpoint of the head now, if the head has moved since the
/// last one (or `restored`: after a restore, always). Refuses, naming why,
/// when the last checkpoint is no longer on the chain.
pub async fn take(app: &App, restored: bool) -> Result<Option<SignedCheckpoint>> {
    let Some(path) = &app.config.checkpoints.file else {
        return Ok(None);
    };
    store::settle(&app.db).await?;
    let last = read_last(path, &app.keys)?;
    let mut tx = app.db.begin_read().await?;
    let (seq, hash) = store::head(&mut tx).await?;
    if let Some(last) = &last
        && !restored
    {
        if last.seq == seq && last.hash == hash {
            tx.commit().await?;
            return Ok(None);
        }
        let on_chain = if last.seq == 0 {
            last.hash == vink_domain::audit::GENESIS
        } else {
            match store::rows_after(&mut tx, last.seq - 1, 1).await?.first() {
                Some(r) => r.seq == last.seq && r.hash == last.hash,
                None => false,
            }
        };
        if !on_chain || last.seq > seq {
            tx.commit().await?;
            metrics::counter!("vink_audit_checkpoint_refusals_total").increment(1);
            return Err(AppError::Internal(format!(
                "the audit chain no longer holds the last signed checkpoint (row {}): not signing its head; run `vink audit verify`",
                last.seq
            )));
        }
    }
    tx.commit().await?;
    let signed = Checkpoint {
        seq,
        hash,
        at_us: app.now().as_microsecond(),
        restored,
    }
    .sign(&app.keys.checkpoint);
    append(path, &signed)?;
    if let Some(socket) = &app.config.checkpoints.syslog {
        // The file is the record; syslog is a second copy elsewhere, and a
        // syslog that is down must not stop the file from being written.
        if let Err(e) = send_syslog(socket, &signed) {
            tracing::warn!(error = %e, "audit checkpoint not sent to syslog");
        }
    }
    metrics::counter!("vink_audit_checkpoints_total").increment(1);
    Ok(Some(signed))
}

/// The last line, checked; none if the file is empty. Only the file's tail
/// is read: the writer runs every minute and the file only grows.
fn read_last(path: &Path, keys: &KeySet) -> Result<Option<Checkpoint>> {
    use std::io::{Seek, SeekFrom};
    const TAIL: u64 = 8 * 1024;
    let io = |e: std::io::Error| AppError::Internal(format!("{}: {e}", path.display()));
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let len = f.metadata().map_err(io)?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(TAIL)))
        .map_err(io)?;
    let mut tail = Vec::new();
    std::io::Read::read_to_end(&mut f, &mut tail).map_err(io)?;
    let tail = String::from_utf8_lossy(&tail);
    let Some(line) = tail.lines().rev().find(|l| !l.trim().is_empty()) else {
        return Ok(None);
    };
    let bad = |what: &str| {
        AppError::Internal(format!(
            "checkpoint file {}: last line {what}",
            path.display()
        ))
    };
    let signed: SignedCheckpoint =
        serde_json::from_str(line).map_err(|_| bad("is not a checkpoint"))?;
    if !signed.verify(&keys.checkpoint.verifying_key()) {
        return Err(bad(
            "is not signed by this checkpoint key (changed or forged)",
        ));
    }
    Ok(Some(signed.checkpoint))
}

fn append(path: &Path, signed: &SignedCheckpoint) -> Result<()> {
    let io = |e: std::io::Error| AppError::Internal(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let line = serde_json::to_string(signed).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    f.write_all(format!("{line}\n").as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)
}

/// One RFC 3164 message (facility authpriv, severity info) on a local
/// datagram socket, as `logger` sends it.
fn send_syslog(socket: &Path, signed: &SignedCheckpoint) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let json = serde_json::to_string(signed).map_err(std::io::Error::other)?;
        let msg = format!("<86>vink[{}]: audit-checkpoint {json}", std::process::id());
        let s = std::os::unix::net::UnixDatagram::unbound()?;
        s.send_to(msg.as_bytes(), socket)?;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = (socket, signed);
        Err(std::io::Error::other("syslog sockets exist on Unix only"))
    }
}
