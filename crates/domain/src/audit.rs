//! The audit log's hash chain. Each row's hash covers the previous row's hash
//! and every field of the row, so changing or removing any row breaks the chain
//! from that row on, and `vink audit verify` names the first broken row.

use jiff::Timestamp;
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

impl AuditFields {
    /// The row's hash given the previous row's. Fields are length-prefixed so no
    /// two different rows serialise alike; time is hashed in whole microseconds,
    /// the precision both databases keep.
    pub fn hash(&self, prev_hash: &str) -> String {
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
        // Rows from before the address was recorded have none, and hash as
        // they always did.
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

/// Checks rows in sequence order; rows are expected to start at 1 with no gaps.
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
        }
    }
}

impl ChainVerifier {
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
        if row.fields.hash(&row.prev_hash) != row.hash {
            return Err(ChainBreak {
                seq,
                problem: "content does not match its hash",
            });
        }
        self.expected_seq += 1;
        self.prev_hash = row.hash.clone();
        Ok(())
    }

    /// Checks that the chain ends where the head says it does: a removed last
    /// row leaves no gap, only a shorter chain.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let last = self.expected_seq - 1;
        if last != head_seq || self.prev_hash != head_hash {
            return Err(ChainBreak {
                seq: last + 1,
                problem: "chain ends before the recorded head (rows removed at the end)",
            });
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                let hash = fields.hash(&prev);
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
        let mut v = ChainVerifier::default();
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
    fn the_client_address_is_hashed_only_when_present() {
        let rows = chain(1);
        let mut f = rows[0].fields.clone();
        assert_eq!(
            f.hash(GENESIS),
            rows[0].hash,
            "rows without an address hash as before"
        );
        f.client = Some("192.0.2.7".into());
        assert_ne!(f.hash(GENESIS), rows[0].hash, "the address is covered");
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
        rows[1].hash = rows[1].fields.hash(&prev);
        assert_eq!(verify(&rows).map_err(|e| e.seq), Err(3));
    }
}
