//! Two-factor log-in and re-authentication: enrolling an authenticator app
//! (secret shown as a QR code and as text, confirmed by a first code),
//! recovery codes (shown once, stored hashed), the code asked for after the
//! password, an administrator's reset, and the fresh proof of identity that
//! exports with personal data and user administration need. Every attempt,
//! right or wrong, leaves an audit row; wrong ones are rate-limited per user.

use jiff::Timestamp;
use uuid::Uuid;
use vink_domain::policy::{Action, RecordRef, Resource};
use vink_domain::second_factor::{self as rules, CodeCheck};
use vink_domain::user::{Actor, Role};
use vink_store::second_factor as store;
use vink_store::{Authorized, micros};

use crate::user::Session;
use crate::{App, AppError, Result, secret_hash};

/// The roles that read personal data: by default each must log in with a
/// second factor (the analyst reads only figures).
pub const PERSONAL_DATA_ROLES: &[Role] = &[
    Role::Secretariat,
    Role::CoordinationUnit,
    Role::Mentor,
    Role::Admin,
    Role::Auditor,
];

/// Where a session stands with its second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorState {
    /// Given, or not asked for: the session reaches data.
    Passed,
    /// The user has one; the code is still to be given.
    Needed,
    /// The user's role needs one and they have none: enrol first.
    MustEnrol,
}

/// What a new session needs, by the user's role and enrolment.
pub fn state_at_login(app: &App, role: Role, enrolled: bool) -> FactorState {
    if enrolled {
        FactorState::Needed
    } else if app.config.second_factor_roles.contains(&role) {
        FactorState::MustEnrol
    } else {
        FactorState::Passed
    }
}

/// An enrolment under way: what the user puts into their app.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The `otpauth://` address for the QR code.
    pub uri: String,
    /// The secret in groups of four, to type in instead.
    pub secret: String,
}

fn me(session: &Session) -> Option<RecordRef> {
    Some(RecordRef::user(session.user_id))
}

async fn begin(app: &App, session: &Session, action: Action) -> Result<Authorized> {
    let tx = app.db.begin().await?;
    app.authorize(tx, &session.actor, action, &Resource::None, me(session))
        .await
}

/// One wrong attempt: its audit row, and the limiter's count (already
/// taken). The answer never says whether a code was reused or wrong, only
/// that it was not accepted.
async fn refuse(app: &App, session: &Session, action: Action, reason: &str) -> Result<AppError> {
    app.deny_row(&session.actor, action, me(session), reason)
        .await?;
    Ok(AppError::Unauthenticated)
}

/// Counts an attempt against the user's limit before it is checked.
async fn limit(app: &App, session: &Session, action: Action) -> Result<()> {
    let key = session.user_id.to_string();
    if app.login_limits.second_factor.try_hit(&key, app.now()) {
        Ok(())
    } else {
        app.deny_row(&session.actor, action, me(session), "rate_limited")
            .await?;
        Err(AppError::RateLimited)
    }
}

/// Starts enrolment with a new secret (replacing an unconfirmed one). A
/// user with a confirmed factor cannot enrol again: an administrator resets
/// it first.
pub async fn start_enrolment(app: &App, session: &Session) -> Result<Enrolment> {
    let mut secret = [0u8; rules::SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|e| AppError::Internal(format!("random: {e}")))?;
    let text = rules::base32(&secret);
    let mut tx = begin(app, session, Action::SecondFactor).await?;
    if !store::begin_enrolment(&mut tx, session.user_id, &text, micros(app.now())).await? {
        return Err(AppError::Conflict(
            "a second factor is set up already".into(),
        ));
    }
    tx.commit_noting(Some("enrol_started".into())).await?;
    Ok(Enrolment {
        uri: rules::otpauth_uri(&app.config.issuer, &session.username, &secret),
        secret: rules::grouped(&secret),
    })
}

/// The enrolment under way, to show again (a page reload).
pub async fn pending_enrolment(app: &App, session: &Session) -> Result<Option<Enrolment>> {
    let mut tx = app.db.begin_read().await?;
    let f = store::factor(&mut tx, session.user_id).await?;
    tx.commit().await?;
    let Some(f) = f.filter(|f| f.confirmed_at.is_none()) else {
        return Ok(None);
    };
    let secret = decode(&f.secret)?;
    Ok(Some(Enrolment {
        uri: rules::otpauth_uri(&app.config.issuer, &session.username, &secret),
        secret: rules::grouped(&secret),
    }))
}

fn decode(base32: &str) -> Result<Vec<u8>> {
    rules::from_base32(base32)
        .ok_or_else(|| AppError::Internal("stored second factor unreadable".into()))
}

/// Confirms enrolment with the first code from the app. Returns the
/// recovery codes, to be shown this once, and the session's new id: the
/// session has passed, under that id.
pub async fn confirm_enrolment(
    app: &App,
    session: &Session,
    session_id: &str,
    code: &str,
) -> Result<(Vec<String>, String)> {
    limit(app, session, Action::SecondFactor).await?;
    let now = app.now();
    let mut tx = begin(app, session, Action::SecondFactor).await?;
    let Some(f) = store::factor(&mut tx, session.user_id)
        .await?
        .filter(|f| f.confirmed_at.is_none())
    else {
        return Err(AppError::Conflict("no enrolment is under way".into()));
    };
    let secret = decode(&f.secret)?;
    let CodeCheck::Accepted(step) = rules::check_code(&secret, code, now.as_second(), 0) else {
        drop(tx);
        return Err(refuse(app, session, Action::SecondFactor, "wrong_code").await?);
    };
    if !store::confirm(&mut tx, session.user_id, step, micros(now)).await? {
        return Err(AppError::Conflict(
            "a second factor is set up already".into(),
        ));
    }
    let codes = new_recovery_codes(&mut tx, session.user_id).await?;
    let new_id = crate::random_hex(32)?;
    store::pass_session(
        &mut tx,
        &secret_hash(session_id),
        &secret_hash(&new_id),
        micros(now),
    )
    .await?;
    tx.commit_noting(Some("enrolled".into())).await?;
    app.login_limits
        .second_factor
        .clear(&session.user_id.to_string());
    Ok((codes, new_id))
}

async fn new_recovery_codes(tx: &mut Authorized, user_id: Uuid) -> Result<Vec<String>> {
    let mut codes = Vec::with_capacity(rules::RECOVERY_CODES);
    let mut hashes = Vec::with_capacity(rules::RECOVERY_CODES);
    for _ in 0..rules::RECOVERY_CODES {
        let mut b = [0u8; rules::RECOVERY_BYTES];
        getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("random: {e}")))?;
        let code = rules::recovery_code(&b);
        let normal = rules::normalise_recovery_code(&code)
            .ok_or_else(|| AppError::Internal("recovery code format".into()))?;
        hashes.push(rules::recovery_hash(user_id, &normal));
        codes.push(code);
    }
    store::replace_recovery_codes(tx, user_id, &hashes).await?;
    Ok(codes)
}

/// Checks a code (or a recovery code) in `tx`; `Ok(reason)` when it is
/// accepted (and used up), `Err(reason)` when not.
async fn check(
    tx: &mut Authorized,
    user_id: Uuid,
    code: &str,
    now: Timestamp,
) -> Result<std::result::Result<&'static str, &'static str>> {
    if let Some(normal) = rules::normalise_recovery_code(code) {
        let hash = rules::recovery_hash(user_id, &normal);
        return Ok(
            if store::use_recovery_code(tx, user_id, &hash, micros(now)).await? {
                Ok("recovery_code")
            } else {
                Err("wrong_recovery_code")
            },
        );
    }
    let Some(f) = store::factor(tx, user_id)
        .await?
        .filter(|f| f.confirmed_at.is_some())
    else {
        return Ok(Err("not_enrolled"));
    };
    let secret = decode(&f.secret)?;
    Ok(
        match rules::check_code(&secret, code, now.as_second(), f.last_step) {
            CodeCheck::Accepted(step) => {
                // Of racing requests with the same code, one moves the step.
                if store::accept_step(tx, user_id, step).await? {
                    Ok("totp")
                } else {
                    Err("reused_code")
                }
            }
            CodeCheck::Reused => Err("reused_code"),
            CodeCheck::Wrong => Err("wrong_code"),
        },
    )
}

/// The code after the password: the session passes, under the new id
/// returned, or the attempt is refused (and counted, and audited).
pub async fn verify(app: &App, session: &Session, session_id: &str, code: &str) -> Result<String> {
    limit(app, session, Action::SecondFactor).await?;
    let now = app.now();
    let mut tx = begin(app, session, Action::SecondFactor).await?;
    let outcome = check(&mut tx, session.user_id, code, now).await?;
    settle(app, session, session_id, tx, Action::SecondFactor, outcome)
        .await?
        .ok_or_else(|| AppError::Internal("no new session id".into()))
}

/// Ends an attempt: accepted, the session is marked (passed under a new id,
/// returned; or confirmed again) in the attempt's transaction, whose commit
/// writes the `allowed` row with how it was proved, and the user's count
/// starts afresh; refused, the work is dropped and a `denied` row says why.
async fn settle(
    app: &App,
    session: &Session,
    session_id: &str,
    mut tx: Authorized,
    action: Action,
    outcome: std::result::Result<&'static str, &'static str>,
) -> Result<Option<String>> {
    let now = micros(app.now());
    match outcome {
        Ok(how) => {
            let id = secret_hash(session_id);
            let renewed = if action == Action::SecondFactor {
                let new_id = crate::random_hex(32)?;
                store::pass_session(&mut tx, &id, &secret_hash(&new_id), now).await?;
                Some(new_id)
            } else {
                store::confirm_session(&mut tx, &id, now).await?;
                None
            };
            tx.commit_noting(Some(how.into())).await?;
            app.login_limits
                .second_factor
                .clear(&session.user_id.to_string());
            Ok(renewed)
        }
        Err(why) => {
            drop(tx);
            Err(refuse(app, session, action, why).await?)
        }
    }
}

/// Whether the session's user proved who they are recently enough for
/// exports with personal data and user administration.
pub fn is_recent(app: &App, session: &Session) -> bool {
    session.second_factor == FactorState::Passed
        && app.now().duration_since(session.confirmed_at) < app.config.reauth_window
}

/// Proves identity again: a code from the app (or a recovery code) for a
/// user who has a second factor, else the password.
pub async fn reauthenticate(
    app: &App,
    session: &Session,
    session_id: &str,
    secret: &str,
) -> Result<()> {
    limit(app, session, Action::Reauthenticate).await?;
    let now = app.now();
    let mut tx = app.db.begin_read().await?;
    let enrolled = store::is_enrolled(&mut tx, session.user_id).await?;
    let user = vink_store::user::user_by_id(&mut tx, session.user_id).await?;
    tx.commit().await?;
    let Some(user) = user.filter(|u| u.active) else {
        return Err(AppError::Unauthenticated);
    };
    let looks_like_code = secret.trim().len() <= 19
        && (rules::normalise_recovery_code(secret).is_some()
            || secret
                .chars()
                .filter(|c| !c.is_whitespace())
                .all(|c| c.is_ascii_digit()));
    // The password is hashed before the write begins (it takes a while).
    let password = if enrolled && looks_like_code {
        None
    } else {
        Some(crate::user::password_matches(secret, &user.password_hash).await?)
    };
    let mut tx = begin(app, session, Action::Reauthenticate).await?;
    let outcome = match password {
        Some(true) => Ok("password"),
        Some(false) => Err("bad_credentials"),
        None => check(&mut tx, session.user_id, secret, now).await?,
    };
    settle(
        app,
        session,
        session_id,
        tx,
        Action::Reauthenticate,
        outcome,
    )
    .await
    .map(|_| ())
}

/// Whether the session's user has a confirmed second factor, and how many
/// unused recovery codes they have left.
pub async fn status(app: &App, session: &Session) -> Result<(bool, i64)> {
    let mut tx = app.db.begin_read().await?;
    let enrolled = store::is_enrolled(&mut tx, session.user_id).await?;
    let n = store::recovery_codes_left(&mut tx, session.user_id).await?;
    tx.commit().await?;
    Ok((enrolled, n))
}

/// An administrator removes a user's second factor (a lost phone): their
/// recovery codes go too and their sessions end; they enrol anew at their
/// next log-in. Audited with the user as the record.
pub async fn reset(app: &App, actor: &Actor, username: &str) -> Result<()> {
    let mut tx = app.db.begin_read().await?;
    let user = vink_store::user::user_by_name(&mut tx, &username.trim().to_lowercase()).await?;
    tx.commit().await?;
    let Some(user) = user else {
        return Err(AppError::NotFound);
    };
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::SecondFactorReset,
            &Resource::None,
            Some(RecordRef::user(user.id)),
        )
        .await?;
    if !store::remove(&mut tx, user.id).await? {
        return Err(AppError::Conflict("the user has no second factor".into()));
    }
    vink_store::user::end_sessions(&mut tx, user.id).await?;
    tx.commit().await?;
    Ok(())
}
