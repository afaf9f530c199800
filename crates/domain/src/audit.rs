//! The audit log's hash chain. Each row's hash is an HMAC-SHA256, under a key
//! kept outside the database, over the previous row's hash and every field
//! of the row: changing or removing any row breaks the chain from that row
//! on, and without the key nobody can forge a chain that verifies. `vink
//! audit verify` names the first broken row. Signed checkpoints of the head
//! (ed25519, written outside the database) catch what the chain alone
//! cannot: rows cut off the end with the head set back.

use ed25519_dalek::Signer;
use hmac::{KeyInit, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

crate::code_enum!(
    /// Whether the audited access was carried out.
    Outcome {
        Allowed => "allowed",
        Denied => "denied",
    }
);

/// The hash the first row chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain's HMAC key: 32 bytes from outside the database. Debug output
/// never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        AuditKey(bytes)
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

/// One audit row's content. Never personal data: ids and codes only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFields {
    pub seq: i64,
    pub at: Timestamp,
    pub actor_id: Option<Uuid>,
    /// Role code, `public` or `system`.
    pub actor_kind: String,
    pub action: String,
    pub record_type: Option<String>,
    pub record_id: Option<Uuid>,
    pub outcome: Outcome,
    /// A reason code or purpose; never free text about a person.
    pub reason: Option<String>,
    /// The client's address, where a request had one.
    pub client: Option<String>,
}

/// Appends a field that is always present: its length, then its bytes.
fn put(m: &mut impl Mac, s: &str) {
    m.update(&(s.len() as u64).to_be_bytes());
    m.update(s.as_bytes());
}

/// Appends a field that may be absent: a presence byte first, so an absent
/// value and an empty one never hash alike.
fn put_opt(m: &mut impl Mac, s: Option<&str>) {
    match s {
        None => m.update(&[0]),
        Some(s) => {
            m.update(&[1]);
            put(m, s);
        }
    }
}

impl AuditFields {
    /// The row's keyed hash given the previous row's: HMAC-SHA256 over a
    /// version tag and the fields, each length-prefixed (optional ones after
    /// a presence byte), so no two different rows serialise alike. Time is
    /// hashed in whole microseconds, the precision both databases keep.
    pub fn mac(&self, key: &AuditKey, prev_hash: &str) -> String {
        let Ok(mut m) = hmac::Hmac::<Sha256>::new_from_slice(&key.0) else {
            // HMAC takes keys of any length; 32 bytes cannot be refused.
            return String::new();
        };
        put(&mut m, "vink-audit-v2");
        put(&mut m, prev_hash);
        put(&mut m, &self.seq.to_string());
        put(&mut m, &self.at.as_microsecond().to_string());
        put_opt(&mut m, self.actor_id.map(|u| u.to_string()).as_deref());
        put(&mut m, &self.actor_kind);
        put(&mut m, &self.action);
        put_opt(&mut m, self.record_type.as_deref());
        put_opt(&mut m, self.record_id.map(|u| u.to_string()).as_deref());
        put(&mut m, self.outcome.code());
        put_opt(&mut m, self.reason.as_deref());
        put_opt(&mut m, self.client.as_deref());
        hex::encode(m.finalize().into_bytes())
    }

    /// The unkeyed SHA-256 of databases from before the chain was keyed:
    /// read only to check such a chain once before `vink audit rekey`
    /// rewrites it keyed. Nothing new is ever hashed this way.
    pub fn legacy_hash(&self, prev_hash: &str) -> String {
        let mut h = Sha256::new();
        let mut put = |s: &str| {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        };
        put(prev_hash);
        put(&self.seq.to_string());
        put(&self.at.as_microsecond().to_string());
        put(&self.actor_id.map(|u| u.to_string()).unwrap_or_default());
        put(&self.actor_kind);
        put(&self.action);
        put(self.record_type.as_deref().unwrap_or(""));
        put(&self.record_id.map(|u| u.to_string()).unwrap_or_default());
        put(self.outcome.code());
        put(self.reason.as_deref().unwrap_or(""));
        if let Some(c) = &self.client {
            put(c);
        }
        hex::encode(h.finalize())
    }
}

/// A stored row: its fields plus the chain links as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAudit {
    pub fields: AuditFields,
    pub prev_hash: String,
    pub hash: String,
}

/// Where the chain breaks, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit row {seq} is not intact: {problem}")]
pub struct ChainBreak {
    pub seq: i64,
    pub problem: &'static str,
}

/// How a chain's rows are hashed.
#[derive(Debug, Clone)]
pub enum Hashing {
    /// HMAC under the key: every chain written now.
    Keyed(AuditKey),
    /// Unkeyed SHA-256: only to check an old chain before it is rekeyed.
    Legacy,
}

impl Hashing {
    pub fn hash(&self, fields: &AuditFields, prev_hash: &str) -> String {
        match self {
            Hashing::Keyed(k) => fields.mac(k, prev_hash),
            Hashing::Legacy => fields.legacy_hash(prev_hash),
        }
    }
}

/// Checks rows in sequence order; rows are expected to start at 1 with no
/// gaps, and to pass through every checkpoint it is given.
pub struct ChainVerifier {
    hashing: Hashing,
    expected_seq: i64,
    prev_hash: String,
    /// Checkpoints not yet passed, highest `seq` first (popped in order).
    checkpoints: Vec<Checkpoint>,
}

impl ChainVerifier {
    pub fn new(hashing: Hashing) -> Self {
        ChainVerifier {
            hashing,
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
            checkpoints: Vec::new(),
        }
    }

    /// The chain must hold each of these (signature-checked) checkpoints'
    /// rows with their hashes, and must not end before the highest. All of
    /// them, not only the latest: a server that signed a head after the
    /// tail was cut would otherwise bless the cut.
    pub fn through(mut self, mut checkpoints: Vec<Checkpoint>) -> Self {
        checkpoints.sort_by_key(|c| std::cmp::Reverse(c.seq));
        self.checkpoints = checkpoints;
        self
    }

    /// Feeds the next row; the first error names the first bad row.
    pub fn check(&mut self, row: &StoredAudit) -> Result<(), ChainBreak> {
        let seq = row.fields.seq;
        if seq != self.expected_seq {
            return Err(ChainBreak {
                seq: self.expected_seq,
                problem: "row missing (sequence gap)",
            });
        }
        if row.prev_hash != self.prev_hash {
            return Err(ChainBreak {
                seq,
                problem: "link to the previous row does not match",
            });
        }
        if self.hashing.hash(&row.fields, &row.prev_hash) != row.hash {
            return Err(ChainBreak {
                seq,
                problem: "content does not match its hash",
            });
        }
        while let Some(c) = self.checkpoints.last()
            && c.seq <= seq
        {
            if c.seq == seq && c.hash != row.hash {
                return Err(ChainBreak {
                    seq,
                    problem: "row differs from a signed checkpoint",
                });
            }
            self.checkpoints.pop();
        }
        self.expected_seq += 1;
        self.prev_hash = row.hash.clone();
        Ok(())
    }

    /// Checks that the chain ends where the head says it does (a removed
    /// last row leaves no gap, only a shorter chain), and not before the
    /// latest signed checkpoint (which catches a head set back too).
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let last = self.expected_seq - 1;
        if self.checkpoints.first().is_some_and(|c| last < c.seq) {
            return Err(ChainBreak {
                seq: last + 1,
                problem: "chain ends before the latest signed checkpoint (rows removed at the end)",
            });
        }
        if last != head_seq || self.prev_hash != head_hash {
            return Err(ChainBreak {
                seq: last + 1,
                problem: "chain ends before the recorded head (rows removed at the end)",
            });
        }
        Ok(last)
    }
}

/// The chain's head at a moment, signed and kept outside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// When it was taken, in microseconds since the epoch.
    pub at_us: i64,
    /// Taken right after a restore from backup: the chain was set back on
    /// purpose, and checkpoints before this one no longer bind it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restored: bool,
}

impl Checkpoint {
    fn message(&self) -> String {
        format!(
            "vink-audit-checkpoint-v1\n{}\n{}\n{}\n{}",
            self.seq,
            self.hash,
            self.at_us,
            u8::from(self.restored)
        )
    }

    pub fn sign(self, key: &CheckpointKey) -> SignedCheckpoint {
        let signature = hex::encode(key.0.sign(self.message().as_bytes()).to_bytes());
        SignedCheckpoint {
            public_key: key.public_hex(),
            signature,
            checkpoint: self,
        }
    }
}

/// A checkpoint with its signature: one line of the checkpoint file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    #[serde(flatten)]
    pub checkpoint: Checkpoint,
    /// Which key signed it (hex), so a file that spans a key change reads.
    pub public_key: String,
    pub signature: String,
}

impl SignedCheckpoint {
    /// Whether `key` signed exactly this checkpoint (strict verification:
    /// no malleable signatures).
    pub fn verify(&self, key: &ed25519_dalek::VerifyingKey) -> bool {
        let Ok(bytes) = hex::decode(&self.signature) else {
            return false;
        };
        let Ok(bytes) = <[u8; 64]>::try_from(bytes.as_slice()) else {
            return false;
        };
        let sig = ed25519_dalek::Signature::from_bytes(&bytes);
        key.verify_strict(self.checkpoint.message().as_bytes(), &sig)
            .is_ok()
    }
}

/// The ed25519 key checkpoints are signed with (a 32-byte seed from
/// outside the database). Debug output never shows it.
#[derive(Clone)]
pub struct CheckpointKey(ed25519_dalek::SigningKey);

impl CheckpointKey {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        CheckpointKey(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    pub fn verifying_key(&self) -> ed25519_dalek::VerifyingKey {
        self.0.verifying_key()
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointKey({})", self.public_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AuditKey {
        AuditKey::from_bytes([7; 32])
    }

    fn chain(n: i64) -> Vec<StoredAudit> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let fields = AuditFields {
                    seq,
                    at: Timestamp::from_second(1_700_000_000 + seq).unwrap_or_default(),
                    actor_id: Some(Uuid::from_u128(seq as u128)),
                    actor_kind: "secretariat".into(),
                    action: "concern.read".into(),
                    record_type: Some("concern".into()),
                    record_id: Some(Uuid::from_u128(99)),
                    outcome: Outcome::Allowed,
                    reason: None,
                    client: None,
                };
                let hash = fields.mac(&key(), &prev);
                let row = StoredAudit {
                    fields,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                row
            })
            .collect()
    }

    fn verify(rows: &[StoredAudit]) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::new(Hashing::Keyed(key()));
        for r in rows {
            v.check(r)?;
        }
        let head = chain(5)
            .pop()
            .map(|r| (r.fields.seq, r.hash))
            .unwrap_or_default();
        v.finish(head.0, &head.1)
    }

    #[test]
    fn absent_and_empty_text_hash_differently() {
        let f = chain(1)[0].fields.clone();
        let mut with_empty = f.clone();
        with_empty.reason = Some(String::new());
        assert_ne!(f.mac(&key(), GENESIS), with_empty.mac(&key(), GENESIS));
        let mut with_client = f.clone();
        with_client.client = Some(String::new());
        assert_ne!(f.mac(&key(), GENESIS), with_client.mac(&key(), GENESIS));
        let mut rt = f.clone();
        rt.record_type = None;
        let mut rt_empty = f.clone();
        rt_empty.record_type = Some(String::new());
        assert_ne!(rt.mac(&key(), GENESIS), rt_empty.mac(&key(), GENESIS));
    }

    #[test]
    fn the_hash_depends_on_the_key() {
        let f = chain(1)[0].fields.clone();
        let other = AuditKey::from_bytes([8; 32]);
        assert_ne!(f.mac(&key(), GENESIS), f.mac(&other, GENESIS));
        assert_ne!(f.mac(&key(), GENESIS), f.legacy_hash(GENESIS));
    }

    #[test]
    fn a_chain_forged_without_the_key_fails() {
        // Someone who can write the database rewrites a row and rehashes
        // the whole chain after it, but without the key.
        let mut rows = chain(5);
        rows[2].fields.outcome = Outcome::Denied;
        let mut prev = rows[1].hash.clone();
        for r in rows.iter_mut().skip(2) {
            r.prev_hash = prev.clone();
            r.hash = r.fields.mac(&AuditKey::from_bytes([9; 32]), &prev);
            prev = r.hash.clone();
        }
        assert_eq!(verify(&rows).map_err(|e| e.seq), Err(3));
    }

    fn signed_head(rows: &[StoredAudit], seq: i64) -> SignedCheckpoint {
        let r = &rows[(seq - 1) as usize];
        Checkpoint {
            seq,
            hash: r.hash.clone(),
            at_us: 1,
            restored: false,
        }
        .sign(&CheckpointKey::from_seed([3; 32]))
    }

    #[test]
    fn a_checkpoint_verifies_only_with_its_key_and_content() {
        let rows = chain(3);
        let ck = CheckpointKey::from_seed([3; 32]);
        let s = signed_head(&rows, 3);
        assert!(s.verify(&ck.verifying_key()));
        assert!(!s.verify(&CheckpointKey::from_seed([4; 32]).verifying_key()));
        let mut moved = s.clone();
        moved.checkpoint.seq = 2;
        assert!(!moved.verify(&ck.verifying_key()));
        let mut garbled = s;
        garbled.signature = "00".into();
        assert!(!garbled.verify(&ck.verifying_key()));
    }

    #[test]
    fn a_cut_tail_with_the_head_set_back_fails_against_the_checkpoint() {
        let rows = chain(5);
        let cp = signed_head(&rows, 5).checkpoint;
        // Rows 4 and 5 deleted, the head set to row 3: the chain alone is
        // consistent, the checkpoint is not.
        let mut v = ChainVerifier::new(Hashing::Keyed(key())).through(vec![cp.clone()]);
        for r in &rows[..3] {
            assert_eq!(v.check(r), Ok(()));
        }
        assert_eq!(v.finish(3, &rows[2].hash).map_err(|e| e.seq), Err(4));
        // The whole chain passes through it.
        let earlier = signed_head(&rows, 2).checkpoint;
        let mut v = ChainVerifier::new(Hashing::Keyed(key())).through(vec![cp, earlier]);
        for r in &rows {
            assert_eq!(v.check(r), Ok(()));
        }
        assert_eq!(v.finish(5, &rows[4].hash), Ok(5));
    }

    #[test]
    fn a_row_differing_from_the_checkpoint_is_named() {
        let rows = chain(5);
        let mut cp = signed_head(&rows, 2).checkpoint;
        cp.hash = rows[0].hash.clone();
        let later = signed_head(&rows, 4).checkpoint;
        let mut v = ChainVerifier::new(Hashing::Keyed(key())).through(vec![later, cp]);
        assert_eq!(v.check(&rows[0]), Ok(()));
        assert_eq!(v.check(&rows[1]).map_err(|e| e.seq), Err(2));
    }

    #[test]
    fn a_legacy_chain_verifies_only_as_legacy() {
        let mut rows = chain(2);
        let mut prev = GENESIS.to_string();
        for r in rows.iter_mut() {
            r.prev_hash = prev.clone();
            r.hash = r.fields.legacy_hash(&prev);
            prev = r.hash.clone();
        }
        let mut v = ChainVerifier::new(Hashing::Legacy);
        assert!(rows.iter().all(|r| v.check(r).is_ok()));
        let mut v = ChainVerifier::new(Hashing::Keyed(key()));
        assert!(v.check(&rows[0]).is_err());
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn altered_field_is_named() {
        let mut rows = chain(5);
        rows[2].fields.outcome = Outcome::Denied;
        assert_eq!(verify(&rows).map_err(|e| e.seq), Err(3));
    }

    #[test]
    fn removed_row_is_named() {
        let mut rows = chain(5);
        rows.remove(1);
        assert_eq!(verify(&rows).map_err(|e| e.seq), Err(2));
        let mut rows = chain(5);
        rows.pop();
        assert_eq!(verify(&rows).map_err(|e| e.seq), Err(5));
    }

    #[test]
    fn rehashed_row_breaks_the_next_link() {
        let mut rows = chain(5);
        rows[1].fields.action = "concern.create".into();
        let prev = rows[1].prev_hash.clone();
        rows[1].hash = rows[1].fields.mac(&key(), &prev);
        assert_eq!(verify(&rows).map_err(|e| e.seq), Err(3));
    }
}
