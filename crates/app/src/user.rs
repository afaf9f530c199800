//! Users, log-in, sessions and API tokens.
//!
//! Passwords are argon2id hashes; session ids and API tokens are random and
//! stored only as SHA-256 hashes. Log-in attempts are limited per account and
//! per address, and every attempt is audited.

use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use jiff::SignedDuration;
use uuid::Uuid;
use vink_domain::policy::{Action, RecordRef, Resource};
use vink_domain::user::{Actor, MIN_PASSWORD_LEN, Role, valid_username};
use vink_domain::validation::FieldErrors;
use vink_store::user::{self as store, UserRow};
use vink_store::{micros, organisation};

use crate::{App, AppError, Result, random_hex, secret_hash};

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
    /// Where the session stands with its second factor: only `Passed`
    /// sessions reach pages with data.
    pub second_factor: crate::second_factor::FactorState,
    /// When the user last proved who they are in this session (log-in,
    /// second factor, re-authentication).
    pub confirmed_at: jiff::Timestamp,
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

fn user_record(id: Uuid) -> Option<RecordRef> {
    Some(RecordRef::user(id))
}

/// The limits on log-in attempts. Per account *and* address, so an attacker
/// elsewhere cannot lock a user out; per address, against spraying; and a
/// higher per-account ceiling across all addresses, whose breach raises an
/// alert row in the audit log.
pub struct LoginLimits {
    pub account_address: crate::RateLimiter,
    pub address: crate::RateLimiter,
    pub account: crate::RateLimiter,
    /// Second-factor codes and re-authentications per user: five wrong
    /// guesses in 15 minutes, then a pause (a six-digit code must not be
    /// guessable by trying).
    pub second_factor: crate::RateLimiter,
    /// Single sign-on log-ins begun per address and not finished: each
    /// leaves a row until it is swept, so a flood is stopped. A finished
    /// log-in gives its count back (many staff share a municipal address).
    pub sso: crate::RateLimiter,
}

impl Default for LoginLimits {
    fn default() -> Self {
        let window = SignedDuration::from_mins(15);
        LoginLimits {
            account_address: crate::RateLimiter::new(5, window),
            address: crate::RateLimiter::new(20, window),
            account: crate::RateLimiter::new(50, window),
            second_factor: crate::RateLimiter::new(5, window),
            sso: crate::RateLimiter::new(60, window),
        }
    }
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

/// Whether `password` is the one `hash` was made from (re-authentication).
pub(crate) async fn password_matches(password: &str, hash: &str) -> Result<bool> {
    verify_password(password, hash.to_string()).await
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

/// A new user's name, normalised, or an error on the field.
pub(crate) fn checked_username(errs: &mut FieldErrors, raw: &str) -> String {
    let username = raw.trim().to_lowercase();
    if !valid_username(&username) {
        errs.add(
            "username",
            "invalid",
            "use 2-64 characters: a-z, 0-9, '.', '_' or '-'",
        );
    }
    username
}

/// A new user's agency by its code, or an error on the field: unknown, or
/// missing for a coordination-unit member.
pub(crate) async fn checked_agency(
    tx: &mut vink_store::Tx,
    errs: &mut FieldErrors,
    role: Option<Role>,
    code: Option<&str>,
) -> Result<Option<Uuid>> {
    let agency = match code.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => match organisation::agency_by_code(tx, code).await? {
            Some(a) => Some(a.id),
            None => {
                errs.add("agency", "unknown_code", "unknown agency");
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
    Ok(agency)
}

/// Creates a user. Called by administrators and by the command line.
pub async fn add_user(app: &App, actor: &Actor, new: &NewUser) -> Result<Uuid> {
    let id = vink_domain::new_id();
    // Access first; the password is hashed before the write lock is taken.
    app.require(actor, Action::UserManage, user_record(id))
        .await?;
    let mut errs = FieldErrors::new();
    let username = checked_username(&mut errs, &new.username);
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
    let display_name = vink_domain::validation::optional_text(
        &mut errs,
        "display_name",
        new.display_name.as_deref(),
        200,
    );
    let email =
        vink_domain::validation::optional_text(&mut errs, "email", new.email.as_deref(), 254);
    if let Some(e) = &email
        && e.parse::<lettre::Address>().is_err()
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
    let hash = if errs.is_empty() {
        Some(hash_password(&new.password, app.config.password_memory_kib).await?)
    } else {
        None
    };
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::UserManage,
            &Resource::None,
            user_record(id),
        )
        .await?;
    let agency = checked_agency(&mut tx, &mut errs, role, new.agency.as_deref()).await?;
    let (role, hash) = match errs.finish((role, hash))? {
        (Some(r), Some(h)) => (r, h),
        _ => return Err(AppError::Internal("validated user fields missing".into())),
    };
    if store::user_by_name(&mut tx, &username).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "user {username} already exists"
        )));
    }
    let created_at = micros(tx.at());
    store::insert_user(
        &mut tx,
        &UserRow {
            id,
            username: username.clone(),
            display_name: display_name.unwrap_or_else(|| username.clone()),
            role: role.code().into(),
            agency_id: agency,
            password_hash: hash,
            active: true,
            created_at,
        },
    )
    .await?;
    if let Some(e) = &email {
        vink_store::reminder::set_email(&mut tx, id, Some(e)).await?;
    }
    tx.commit_noting(Some("created".into())).await?;
    Ok(id)
}

/// Looks a user up by name for a management action, authorising it as one
/// action on that user.
async fn managed_user(
    app: &App,
    actor: &Actor,
    username: &str,
) -> Result<(vink_store::Authorized, UserRow)> {
    let mut tx = app.db.begin().await?;
    let user = store::user_by_name(&mut tx, &username.trim().to_lowercase()).await?;
    let record = user.as_ref().map(|u| RecordRef::user(u.id));
    let tx = app
        .authorize(tx, actor, Action::UserManage, &Resource::None, record)
        .await?;
    user.map(|u| (tx, u)).ok_or(AppError::NotFound)
}

/// Issues a new API bearer token for a user and returns it; only its hash is
/// kept. It expires after the configured lifetime (90 days by default).
pub async fn create_token(app: &App, actor: &Actor, username: &str) -> Result<String> {
    let (mut tx, user) = managed_user(app, actor, username).await?;
    let token = format!("vink_{}", random_hex(32)?);
    let now = tx.at();
    let expires = now
        .checked_add(app.config.token_lifetime)
        .map_err(|e| AppError::Internal(format!("token expiry: {e}")))?;
    store::insert_token(
        &mut tx,
        vink_domain::new_id(),
        user.id,
        &secret_hash(&token),
        micros(now),
        micros(expires),
    )
    .await?;
    tx.commit_noting(Some("token_issued".into())).await?;
    Ok(token)
}

/// Revokes one API token (given in full, as its holder has it).
pub async fn revoke_token(app: &App, actor: &Actor, token: &str) -> Result<()> {
    let hash = secret_hash(token.trim());
    let mut tx = app.db.begin().await?;
    let owner = store::token_owner(&mut tx, &hash).await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::UserManage,
            &Resource::None,
            owner.map(RecordRef::user),
        )
        .await?;
    let at = micros(tx.at());
    if owner.is_none() || !store::revoke_token(&mut tx, &hash, at).await? {
        return Err(AppError::NotFound);
    }
    tx.commit_noting(Some("token_revoked".into())).await?;
    Ok(())
}

/// Disables a user: their sessions end and their tokens are revoked at once,
/// in one transaction; they can no longer log in.
pub async fn disable_user(app: &App, actor: &Actor, username: &str) -> Result<()> {
    let (mut tx, user) = managed_user(app, actor, username).await?;
    if actor.user_id() == Some(user.id) {
        return Err(AppError::Conflict(
            "an administrator cannot disable their own account".into(),
        ));
    }
    let at = micros(tx.at());
    let changed = store::disable_user(&mut tx, user.id).await?;
    store::revoke_tokens(&mut tx, user.id, at).await?;
    if !changed {
        return Err(AppError::Conflict("the user is already disabled".into()));
    }
    tx.commit_noting(Some("disabled".into())).await?;
    Ok(())
}

fn actor_of(u: &UserRow) -> Result<(Actor, Role)> {
    let role = Role::parse(&u.role)
        .ok_or_else(|| AppError::Internal(format!("unknown stored role {}", u.role)))?;
    Ok((Actor::user(u.id, role, u.agency_id), role))
}

/// Checks a user name and password, and on success opens a session. Returns the
/// session id for the cookie (never stored as such) and the session. `ip` is
/// the client address as the web layer resolved it (through trusted proxies).
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
    ip: &str,
) -> Result<(String, Session)> {
    let now = app.now();
    let username = username.trim().to_lowercase();
    let pair_key = format!("{username}\u{0}{ip}");
    let client = ip.parse().ok();
    let public = Actor::public().from_client(client);
    // Each attempt is counted before the password is checked, in one atomic
    // step per limiter, so parallel guesses cannot slip through between a
    // check and a record. A success gives its attempts back.
    let limits = &app.login_limits;
    let pair_ok = limits.account_address.try_hit(&pair_key, now);
    let ip_ok = pair_ok && limits.address.try_hit(ip, now);
    let account_ok = ip_ok && limits.account.try_hit(&username, now);
    if !(pair_ok && ip_ok && account_ok) {
        let reason = if !account_ok && ip_ok {
            // Many addresses guessing one account: an alert for the auditors.
            "account_ceiling_alert"
        } else {
            "rate_limited"
        };
        app.deny_row(&public, Action::Login, None, reason).await?;
        return Err(AppError::RateLimited);
    }
    let mut tx = app.db.begin_read().await?;
    let user = if valid_username(&username) {
        store::user_by_name(&mut tx, &username).await?
    } else {
        None
    };
    // Whether a second factor will be asked for, in the same read.
    let enrolled = match &user {
        Some(u) => vink_store::second_factor::is_enrolled(&mut tx, u.id).await?,
        None => false,
    };
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
        app.deny_row(&public, Action::Login, None, "bad_credentials")
            .await?;
        return Err(AppError::Unauthenticated);
    };
    limits.account_address.clear(&pair_key);
    limits.address.refund(ip);
    limits.account.refund(&username);
    let (actor, role) = actor_of(&user)?;
    let actor = actor.from_client(client);
    // A second factor is asked for when the user has one, or must have one
    // by their role; until it is given the session reaches no data.
    let state = crate::second_factor::state_at_login(app, role, enrolled);
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            &actor,
            Action::Login,
            &Resource::None,
            user_record(user.id),
        )
        .await?;
    let opened = open_session(&mut tx, actor, user, role, state, now).await?;
    tx.commit().await?;
    Ok(opened)
}

/// Opens a session for `user` in the log-in's transaction (password or
/// single sign-on): its id for the cookie (stored only as a hash), and the
/// session, passed at once where `state` says so.
pub(crate) async fn open_session(
    tx: &mut vink_store::Authorized,
    actor: Actor,
    user: UserRow,
    role: Role,
    state: crate::second_factor::FactorState,
    now: jiff::Timestamp,
) -> Result<(String, Session)> {
    let session_id = random_hex(32)?;
    let csrf = random_hex(32)?;
    let passed = (state == crate::second_factor::FactorState::Passed).then_some(micros(now));
    store::insert_session(
        tx,
        &secret_hash(&session_id),
        user.id,
        &csrf,
        micros(now),
        passed,
    )
    .await?;
    Ok((
        session_id,
        Session {
            actor,
            user_id: user.id,
            username: user.username,
            display_name: user.display_name,
            role,
            csrf,
            second_factor: state,
            confirmed_at: now,
        },
    ))
}

/// Resolves a session cookie. Idle sessions, sessions past their absolute
/// lifetime and those of disabled users end here. Activity is written at most
/// once a minute to spare the write lock.
pub async fn session(app: &App, session_id: &str) -> Result<Option<Session>> {
    let now = app.now();
    let hash = secret_hash(session_id);
    // One statement on every page: no transaction around it.
    let mut tx = app.db.read_one().await?;
    let row = store::session(&mut tx, &hash).await?;
    tx.commit().await?;
    let Some(row) = row else { return Ok(None) };
    let last_seen = vink_store::instant(row.last_seen_at)?;
    let created = vink_store::instant(row.created_at)?;
    let idle = now.duration_since(last_seen);
    if !row.active
        || idle >= app.config.idle_timeout
        || now.duration_since(created) >= app.config.session_lifetime
    {
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
    let second_factor = match (row.second_factor_at, row.enrolled) {
        (Some(_), _) => crate::second_factor::FactorState::Passed,
        (None, true) => crate::second_factor::FactorState::Needed,
        (None, false) => crate::second_factor::FactorState::MustEnrol,
    };
    Ok(Some(Session {
        actor: Actor::user(row.user_id, role, row.agency_id),
        user_id: row.user_id,
        username: row.username,
        display_name: row.display_name,
        role,
        csrf: row.csrf_token,
        second_factor,
        confirmed_at: vink_store::instant(row.confirmed_at.unwrap_or(row.created_at))?,
    }))
}

/// Ends a session.
pub async fn logout(app: &App, session: &Session, session_id: &str) -> Result<()> {
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            &session.actor,
            Action::Logout,
            &Resource::None,
            user_record(session.user_id),
        )
        .await?;
    store::delete_session(&mut tx, &secret_hash(session_id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Resolves an API bearer token to its user, if the token is live (not
/// revoked, not expired) and the user active.
pub async fn bearer(app: &App, token: &str) -> Result<Option<Actor>> {
    // One statement on every API call: no transaction around it.
    let mut tx = app.db.read_one().await?;
    let user = store::user_by_token(&mut tx, &secret_hash(token), micros(app.now())).await?;
    tx.commit().await?;
    match user {
        Some(u) if u.active => Ok(Some(actor_of(&u)?.0)),
        _ => Ok(None),
    }
}

/// Removes sessions idle past the timeout or past their absolute lifetime;
/// run periodically by the server.
pub async fn sweep_sessions(app: &App) -> Result<u64> {
    let now = app.now();
    let idle_cutoff = now - app.config.idle_timeout;
    let created_cutoff = now - app.config.session_lifetime;
    let mut tx = app.db.begin().await?;
    let n =
        store::delete_idle_sessions(&mut tx, micros(idle_cutoff), micros(created_cutoff)).await?;
    tx.commit().await?;
    Ok(n)
}

/// A user as the administrator sees them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserSummary {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency: Option<String>,
    pub active: bool,
    pub live_tokens: i64,
    /// Whether the user logs in with a second factor.
    pub second_factor: bool,
    /// Whether the user logs in through the single sign-on provider.
    pub single_sign_on: bool,
}

/// Every user, for the administrator. Audited as one read.
pub async fn list_users(app: &App, actor: &Actor) -> Result<Vec<UserSummary>> {
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::UserManage, &Resource::None, None)
        .await?;
    let now = micros(tx.at());
    let rows = store::list_users(&mut tx, now).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(summary).collect())
}

fn summary(r: store::UserListRow) -> UserSummary {
    UserSummary {
        id: r.id,
        username: r.username,
        display_name: r.display_name,
        role: r.role,
        agency: r.agency,
        active: r.active,
        live_tokens: r.live_tokens,
        second_factor: r.second_factor,
        single_sign_on: r.single_sign_on,
    }
}

/// One user, for the administrator's page about them; audited with the user
/// as its record.
pub async fn user(app: &App, actor: &Actor, username: &str) -> Result<UserSummary> {
    let mut tx = app.db.begin_read().await?;
    let name = username.trim().to_lowercase();
    let found = store::user_by_name(&mut tx, &name).await?;
    let record = found.as_ref().map(|u| RecordRef::user(u.id));
    let mut tx = app
        .authorize_read(tx, actor, Action::UserManage, &Resource::None, record)
        .await?;
    let now = micros(tx.at());
    let row = store::user_summary(&mut tx, &name, now).await?;
    tx.commit().await?;
    row.map(summary).ok_or(AppError::NotFound)
}

/// Changes a user's role and agency (a coordination-unit member needs one;
/// other roles keep none). Their sessions end.
pub async fn change_role(
    app: &App,
    actor: &Actor,
    username: &str,
    role: Option<&str>,
    agency: Option<&str>,
) -> Result<()> {
    let mut errs = FieldErrors::new();
    let role = crate::parse_code(&mut errs, "role", role, Role::parse, Role::codes, true);
    errs.finish(())?;
    let (mut tx, user) = managed_user(app, actor, username).await?;
    let agency = match agency.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => match organisation::agency_by_code(&mut tx, code).await? {
            Some(a) => Some(a.id),
            None => return Err(crate::invalid("agency", "unknown_code", "unknown agency")),
        },
    };
    let Some(role) = role else {
        return Err(crate::invalid("role", "required", "is required"));
    };
    let agency = match (role, agency) {
        (Role::CoordinationUnit, None) => {
            return Err(crate::invalid(
                "agency",
                "required",
                "a coordination-unit member belongs to an agency",
            ));
        }
        (Role::CoordinationUnit, a) => a,
        // Only the coordination unit acts as an agency.
        _ => None,
    };
    if actor.user_id() == Some(user.id) && role != Role::Admin {
        return Err(AppError::Conflict(
            "an administrator cannot remove their own administration rights".into(),
        ));
    }
    store::set_role(&mut tx, user.id, role.code(), agency).await?;
    tx.commit_noting(Some("role_changed".into())).await?;
    Ok(())
}

/// Sets a new password chosen by the administrator (to hand over in person);
/// every session of the user ends.
pub async fn reset_password(
    app: &App,
    actor: &Actor,
    username: &str,
    password: &str,
) -> Result<()> {
    app.require(actor, Action::UserManage, None).await?;
    if password.chars().count() < MIN_PASSWORD_LEN || password.len() > 1024 {
        return Err(crate::invalid(
            "password",
            "too_short",
            &format!("must be at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    let hash = hash_password(password, app.config.password_memory_kib).await?;
    let (mut tx, user) = managed_user(app, actor, username).await?;
    store::set_password(&mut tx, user.id, &hash).await?;
    store::end_sessions(&mut tx, user.id).await?;
    tx.commit_noting(Some("password_reset".into())).await?;
    Ok(())
}

/// Revokes every live API token of a user.
pub async fn revoke_tokens(app: &App, actor: &Actor, username: &str) -> Result<u64> {
    let (mut tx, user) = managed_user(app, actor, username).await?;
    let at = micros(tx.at());
    let n = store::revoke_tokens(&mut tx, user.id, at).await?;
    tx.commit_noting(Some("tokens_revoked".into())).await?;
    Ok(n)
}

/// Removes a user's link to the single sign-on provider (granted to the
/// wrong person, or the person moved): they can no longer log in through
/// it, their sessions end, and the person asks for access anew.
pub async fn unlink_single_sign_on(app: &App, actor: &Actor, username: &str) -> Result<()> {
    let (mut tx, user) = managed_user(app, actor, username).await?;
    if vink_store::sso::unlink_user(&mut tx, user.id).await? == 0 {
        return Err(AppError::Conflict(
            "the user does not log in through single sign-on".into(),
        ));
    }
    store::end_sessions(&mut tx, user.id).await?;
    tx.commit_noting(Some("sso_unlinked".into())).await?;
    Ok(())
}

/// Lets a disabled user log in again.
pub async fn enable_user(app: &App, actor: &Actor, username: &str) -> Result<()> {
    let (mut tx, user) = managed_user(app, actor, username).await?;
    if !store::enable_user(&mut tx, user.id).await? {
        return Err(AppError::Conflict("the user is already active".into()));
    }
    tx.commit_noting(Some("enabled".into())).await?;
    Ok(())
}
