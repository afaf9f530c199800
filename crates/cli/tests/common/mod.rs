//! What the binary's suites share: the keys and a checkpoint file per database.
#![allow(dead_code)]

/// The keys every test run uses (the text of a keys file, in `VINK_KEYS`).
pub const TEST_KEYS: &str = "audit = \"0101010101010101010101010101010101010101010101010101010101010101\"\ncheckpoint = \"0202020202020202020202020202020202020202020202020202020202020202\"\n[fields]\ncurrent = \"k1\"\nk1 = \"0303030303030303030303030303030303030303030303030303030303030303\"\n";

/// A checkpoint file of the database's own, outside the source tree.
pub fn checkpoint_file(db: &str) -> std::path::PathBuf {
    let name: String = db
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    std::env::temp_dir().join(format!("vink-cp-{name}.jsonl"))
}
