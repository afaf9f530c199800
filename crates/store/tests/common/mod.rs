//! Test databases: a fresh SQLite file always, and a fresh PostgreSQL database
//! when `VINK_TEST_POSTGRES_URL` is set (CI sets it). Each test gets its own.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use vink_store::Db;

pub struct TestDb {
    pub db: Db,
    pub name: String,
    /// The database's URL, for a second connection to it.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    PgDatabase(vink_testkit::ScratchPg),
}

/// The backends to run a contract test on.
pub async fn backends() -> Vec<TestDb> {
    let mut out = vec![sqlite().await];
    out.extend(postgres_only().await);
    out
}

/// PostgreSQL alone, for a contract test of something only PostgreSQL has
/// (plan settings, a `BEGIN` on its way): none without
/// `VINK_TEST_POSTGRES_URL`.
pub async fn postgres_only() -> Vec<TestDb> {
    match std::env::var("VINK_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => vec![postgres(&url).await],
        _ => Vec::new(),
    }
}

/// The audit key every test database is keyed with.
pub fn key() -> vink_domain::audit::AuditKey {
    vink_domain::audit::AuditKey::from_bytes([1; 32])
}

/// The field keys every test database seals its free text with.
pub fn field_keys() -> vink_store::sealed::FieldKeys {
    vink_store::sealed::FieldKeys::new("k1", vec![("k1".into(), [3; 32])]).unwrap()
}

pub async fn sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(format!("vink-test-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/vink.db", dir.display());
    let db = Db::connect(&url).await.unwrap();
    db.set_audit_key(key());
    db.set_field_keys(field_keys(), None);
    db.migrate().await.unwrap();
    TestDb {
        db,
        url,
        name: "sqlite".into(),
        cleanup: Cleanup::File(dir),
    }
}

pub async fn postgres(admin_url: &str) -> TestDb {
    let pg = vink_testkit::ScratchPg::create(admin_url, "t").await;
    let url = pg.url().to_string();
    let db = Db::connect(&url).await.unwrap();
    db.set_audit_key(key());
    db.set_field_keys(field_keys(), None);
    db.migrate().await.unwrap();
    TestDb {
        db,
        url,
        name: "postgres".into(),
        cleanup: Cleanup::PgDatabase(pg),
    }
}

impl TestDb {
    pub async fn finish(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::File(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PgDatabase(pg) => pg.drop_now().await,
        }
    }
}

/// A write transaction with a system grant, for tests that call the store's
/// personal-data writes directly. Its commit appends one audit row.
pub async fn auth(db: &Db) -> vink_store::Authorized {
    vink_store::Authorized::write(db.begin().await.unwrap(), grant(), jiff::Timestamp::now())
}

/// A read transaction with the same grant: its commit appends the read's
/// audit row after the read.
pub async fn auth_read(db: &Db) -> vink_store::Authorized {
    let tx = db.begin_read().await.unwrap();
    vink_store::Authorized::read(tx, grant(), jiff::Timestamp::now(), db)
}

fn grant() -> vink_domain::policy::Grant {
    vink_domain::policy::authorize(
        &vink_domain::user::Actor::system(),
        vink_domain::policy::Action::DemoLoad,
        &vink_domain::policy::Resource::None,
        None,
    )
    .unwrap()
}

/// The audit log read back whole and its chain checked against the head:
/// the rows, and how many the verifier counted (or where it broke).
pub async fn verified_chain(
    db: &Db,
) -> (
    Vec<vink_store::audit::AuditRow>,
    Result<i64, vink_domain::audit::ChainBreak>,
) {
    let mut tx = db.begin_read().await.unwrap();
    let rows = vink_store::audit::rows_after(&mut tx, 0, 100_000)
        .await
        .unwrap();
    let mut v = vink_domain::audit::ChainVerifier::new(vink_domain::audit::Hashing::Keyed(key()));
    for r in &rows {
        if let Err(b) = v.check(&r.to_stored().unwrap()) {
            return (rows, Err(b));
        }
    }
    let (seq, hash) = vink_store::audit::head(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let n = v.finish(seq, &hash);
    (rows, n)
}
