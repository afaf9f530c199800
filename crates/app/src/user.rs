//! Users, log-in, sessions and API tokens.
//!
//! Passwords are argon2id hashes; session ids and API tokens are random and
//! stored only as SHA-256 hashes. Log-in attempts are limited per account and
//! per address, and every attempt is audited.

use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;
use vink_domain::audit::Outcome;
use vink_domain::policy::{Action, Resource};
use vink_domain::user::{Actor, MIN_PASSWORD_LEN, Role, valid_username};
use vink_domain::validation::FieldErrors;
use vink_store::user::{self as store, UserRow};
use vink_store::{micros, organisation};

use crate::{
    App, AppError, Record, Result, audit_row, authorize, commit_with_audit, random_hex, secret_hash,
};

/// A signed-in staff member as the web layer needs them.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The per-session CSRF token every form must carry.
    pub csrf: String,
}

/// A user to create.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub role: String,
    /// Agency code; required for coordination-unit members.
    pub agency: Option<String>,
    pub password: String,
    /// Where reminders are e-mailed; none: the in-app inbox only.
    pub email: Option<String>,
}

fn user_record(id: Uuid) -> Option<Record> {
    Some(Record { kind: "user", id })
}

/// argon2id with the given memory cost (KiB): OWASP's 19 MiB in production, less
/// in tests so suites stay fast. Verification reads the cost from the hash.
fn hasher(memory_kib: u32) -> Result<Argon2<'static>> {
    let params = Params::new(memory_kib, 2, 1, None)
        .map_err(|e| AppError::Internal(format!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password off the async threads.
pub async fn hash_password(password: &str, memory_kib: u32) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        hasher(memory_kib)?
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(format!("hashing task: {e}")))?
}

/// Checks a password against a stored hash off the async threads.
async fn verify_password(password: &str, hash: String) -> Result<bool> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| AppError::Internal(format!("verify task: {e}")))
}

/// A hash to verify against when the account does not exist, so a wrong user
/// name costs as much time as a wrong password.
fn dummy_hash(memory_kib: u32) -> Option<String> {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    DUMMY
        .get_or_init(|| {
            hasher(memory_kib)
                .ok()?
                .hash_password(b"not-a-real-password")
                .ok()
                .map(|h| h.to_string())
        })
        .clone()
}

/// Creates a user. Called by administrators and by the command line.
pub async fn add_user(app: &App, actor: &Actor, new: &NewUser) -> Result<Uuid> {
    let mut errs = FieldErrors::new();
    let username = new.username.trim().to_lowercase();
    if !valid_username(&username) {
        errs.add(
            "username",
            "invalid",
            "use 2-64 characters: a-z, 0-9, '.', '_' or '-'",
        );
    }
    if new.password.chars().count() < MIN_PASSWORD_LEN {
        errs.add(
            "password",
            "too_short",
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        );
    }
    if new.password.len() > 1024 {
        errs.add("password", "too_long", "must be at most 1024 bytes");
    }
    let email = new
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string);
    if let Some(e) = &email
        && (e.len() > 254 || e.parse::<lettre::Address>().is_err())
    {
        errs.add("email", "invalid", "must be an e-mail address");
    }
    let role = Role::parse(new.role.trim());
    if role.is_none() {
        errs.add(
            "role",
            "unknown_code",
            format!("must be one of {}", Role::codes()),
        );
    }
    let tx = app.db.begin().await?;
    let mut tx = authorize(tx, actor, Action::UserManage, &Resource::None, None).await?;
    let agency = match new
        .agency
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(code) => match organisation::agency_by_code(&mut tx, code).await? {
            Some(a) => Some(a.id),
            None => {
                errs.add("agency", "unknown_code", format!("unknown agency {code:?}"));
                None
            }
        },
    };
    if role == Some(Role::CoordinationUnit) && agency.is_none() && errs.get("agency").is_none() {
        errs.add(
            "agency",
            "required",
            "a coordination-unit member belongs to an agency",
        );
    }
    let role = errs
        .finish(role)?
        .ok_or_else(|| AppError::Internal("role".into()))?;
    if store::user_by_name(&mut tx, &username).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "user {username} already exists"
        )));
    }
    let hash = hash_password(&new.password, app.config.password_memory_kib).await?;
    let id = vink_domain::new_id();
    store::insert_user(
        &mut tx,
        &UserRow {
            id,
            username: username.clone(),
            display_name: new
                .display_name
                .clone()
                .filter(|d| !d.trim().is_empty())
                .unwrap_or_else(|| username.clone()),
            role: role.code().into(),
            agency_id: agency,
            password_hash: hash,
            active: true,
            created_at: micros(Timestamp::now()),
        },
    )
    .await?;
    commit_with_audit(
        tx,
        actor,
        Action::UserManage,
        user_record(id),
        Some("created".into()),
    )
    .await?;
    Ok(id)
}

/// Issues a new API bearer token for a user and returns it; only its hash is kept.
pub async fn create_token(app: &App, actor: &Actor, username: &str) -> Result<String> {
    let tx = app.db.begin().await?;
    let mut tx = authorize(tx, actor, Action::UserManage, &Resource::None, None).await?;
    let user = store::user_by_name(&mut tx, &username.trim().to_lowercase())
        .await?
        .ok_or(AppError::NotFound)?;
    let token = format!("vink_{}", random_hex(32)?);
    store::insert_token(
        &mut tx,
        vink_domain::new_id(),
        user.id,
        &secret_hash(&token),
        micros(Timestamp::now()),
    )
    .await?;
    commit_with_audit(
        tx,
        actor,
        Action::UserManage,
        user_record(user.id),
        Some("token_issued".into()),
    )
    .await?;
    Ok(token)
}

fn actor_of(u: &UserRow) -> Result<(Actor, Role)> {
    let role = Role::parse(&u.role)
        .ok_or_else(|| AppError::Internal(format!("unknown stored role {}", u.role)))?;
    Ok((Actor::user(u.id, role, u.agency_id), role))
}

/// Checks a user name and password, and on success opens a session. Returns the
/// session id for the cookie (never stored as such) and the session.
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
    ip: &str,
) -> Result<(String, Session)> {
    let now = Timestamp::now();
    let username = username.trim().to_lowercase();
    let user_key = format!("user:{username}");
    let ip_key = format!("ip:{ip}");
    let public = Actor::public();
    if app.login_limiter.is_blocked(&user_key, now) || app.ip_limiter.is_blocked(&ip_key, now) {
        crate::audit_alone(
            app,
            &public,
            "auth.login",
            None,
            Outcome::Denied,
            "rate_limited",
        )
        .await?;
        return Err(AppError::RateLimited);
    }
    let mut tx = app.db.begin().await?;
    let user = if valid_username(&username) {
        store::user_by_name(&mut tx, &username).await?
    } else {
        None
    };
    // Release the write lock while argon2 works.
    tx.commit().await?;
    let ok = match &user {
        Some(u) if u.active => verify_password(password, u.password_hash.clone()).await?,
        _ => {
            if let Some(h) = dummy_hash(app.config.password_memory_kib) {
                let _ = verify_password(password, h).await;
            }
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        app.login_limiter.hit(&user_key, now);
        app.ip_limiter.hit(&ip_key, now);
        crate::audit_alone(
            app,
            &public,
            "auth.login",
            None,
            Outcome::Denied,
            "bad_credentials",
        )
        .await?;
        return Err(AppError::Unauthenticated);
    };
    let mut tx = app.db.begin().await?;
    app.login_limiter.clear(&user_key);
    let (actor, role) = actor_of(&user)?;
    let session_id = random_hex(32)?;
    let csrf = random_hex(32)?;
    store::insert_session(
        &mut tx,
        &secret_hash(&session_id),
        user.id,
        &csrf,
        micros(now),
    )
    .await?;
    audit_row(
        &mut tx,
        &actor,
        "auth.login",
        user_record(user.id),
        Outcome::Allowed,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok((
        session_id,
        Session {
            actor,
            user_id: user.id,
            username: user.username,
            display_name: user.display_name,
            role,
            csrf,
        },
    ))
}

/// Resolves a session cookie. Idle sessions and those of deactivated users end
/// here. Activity is written at most once a minute to spare the write lock.
pub async fn session(app: &App, session_id: &str) -> Result<Option<Session>> {
    let now = Timestamp::now();
    let hash = secret_hash(session_id);
    let mut tx = app.db.begin_read().await?;
    let row = store::session(&mut tx, &hash).await?;
    tx.commit().await?;
    let Some(row) = row else { return Ok(None) };
    let last_seen = vink_store::instant(row.last_seen_at)?;
    let idle = now.duration_since(last_seen);
    if !row.active || idle >= app.config.idle_timeout {
        let mut tx = app.db.begin().await?;
        store::delete_session(&mut tx, &hash).await?;
        tx.commit().await?;
        return Ok(None);
    }
    if idle >= SignedDuration::from_mins(1) {
        let mut tx = app.db.begin().await?;
        store::touch_session(&mut tx, &hash, micros(now)).await?;
        tx.commit().await?;
    }
    let role = Role::parse(&row.role)
        .ok_or_else(|| AppError::Internal(format!("unknown stored role {}", row.role)))?;
    Ok(Some(Session {
        actor: Actor::user(row.user_id, role, row.agency_id),
        user_id: row.user_id,
        username: row.username,
        display_name: row.display_name,
        role,
        csrf: row.csrf_token,
    }))
}

/// Ends a session.
pub async fn logout(app: &App, session: &Session, session_id: &str) -> Result<()> {
    let mut tx = app.db.begin().await?;
    store::delete_session(&mut tx, &secret_hash(session_id)).await?;
    audit_row(
        &mut tx,
        &session.actor,
        "auth.logout",
        user_record(session.user_id),
        Outcome::Allowed,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Resolves an API bearer token to its (active) user.
pub async fn bearer(app: &App, token: &str) -> Result<Option<Actor>> {
    let mut tx = app.db.begin_read().await?;
    let user = store::user_by_token(&mut tx, &secret_hash(token)).await?;
    tx.commit().await?;
    match user {
        Some(u) if u.active => Ok(Some(actor_of(&u)?.0)),
        _ => Ok(None),
    }
}

/// Removes sessions idle past the timeout; run periodically by the server.
pub async fn sweep_sessions(app: &App) -> Result<u64> {
    let cutoff = Timestamp::now() - app.config.idle_timeout;
    let mut tx = app.db.begin().await?;
    let n = store::delete_idle_sessions(&mut tx, micros(cutoff)).await?;
    tx.commit().await?;
    Ok(n)
}
