//! Single sign-on through an OpenID Connect provider (the authorisation
//! code flow with PKCE, state and nonce), beside local accounts.
//!
//! A log-in begins with an attempt row (the state's hash, the nonce, the
//! PKCE verifier) and a redirect to the provider; the callback takes the
//! attempt once (a replay finds nothing), redeems the code, checks the ID
//! token's signature and claims, and then either opens a session for the
//! linked user, makes the user from claims the configuration maps to a
//! role, or records an access request for an administrator. Every refusal
//! writes an audit row with its reason; the person is told only that it
//! failed, or what they can do about it.

mod config;
mod provider;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;
use vink_domain::policy::{Action, RecordRef, Resource};
use vink_domain::sso::{self as rules, Assignment, Expected, IdClaims};
use vink_domain::user::{Actor, Role};
use vink_store::sso::{self as store, AccessRequestRow, AttemptRow};
use vink_store::user::UserRow;
use vink_store::{micros, organisation};

pub use config::{CALLBACK_PATH, ClientAuth, SsoConfig, SsoConfigError};
pub use provider::ProviderError;

use crate::second_factor::FactorState;
use crate::user::Session;
use crate::{App, AppError, Result, secret_hash};

/// How long a log-in may stay at the provider.
pub const ATTEMPT_LIFETIME: SignedDuration = SignedDuration::from_mins(10);

/// Single sign-on as configured: the settings and the provider's client.
pub struct Sso {
    pub config: SsoConfig,
    provider: provider::Provider,
}

impl Sso {
    pub fn new(config: SsoConfig) -> std::result::Result<Sso, SsoConfigError> {
        let provider = provider::Provider::new(&config)?;
        Ok(Sso { config, provider })
    }
}

/// What a redirect to the provider needs: where to, and the state the
/// browser keeps in a cookie until it comes back.
#[derive(Debug, Clone)]
pub struct Departure {
    pub url: String,
    pub state: String,
}

/// What the provider sent back, with what the browser holds.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    /// RFC 9207's `iss`, where the provider sends it.
    pub iss: Option<String>,
    pub error: Option<String>,
    /// The state from the browser's cookie.
    pub cookie_state: Option<String>,
    /// The browser's session, for a re-authentication.
    pub session_id: Option<String>,
    pub client: Option<std::net::IpAddr>,
}

/// How a callback ended.
#[derive(Debug)]
pub enum Outcome {
    /// A session for the user, under this id.
    SignedIn {
        session_id: String,
        session: Box<Session>,
        next: String,
    },
    /// The session's user proved who they are again.
    Confirmed { next: String },
    /// No vink user yet: an administrator has been asked.
    AwaitingAccess,
    /// Refused (an audit row says why).
    Refused(Refusal),
}

/// What the person is told about a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Something failed: try again, or ask.
    Failed,
    /// The provider gives no role in vink.
    NoRole,
    /// The provider gives more than one role.
    Ambiguous,
    /// A coordination-unit role without a known agency.
    NoAgency,
    /// The vink user is disabled.
    Disabled,
    /// The provider answered for someone other than the session's user.
    OtherPerson,
    /// The provider does not answer.
    Unavailable,
}

fn random_b64(bytes: usize) -> Result<String> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("random: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

/// RFC 7636's S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    use sha2::Digest;
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn sso(app: &App) -> Result<&Sso> {
    app.sso.as_ref().ok_or(AppError::NotFound)
}

async fn depart(
    app: &App,
    purpose: &str,
    session_hash: Option<String>,
    next: &str,
    extra: &[(&str, &str)],
) -> Result<Departure> {
    let sso = sso(app)?;
    let now = app.now();
    let meta = match sso.provider.metadata(&sso.config, now).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "single sign-on provider unusable");
            return Err(AppError::Unavailable(e.to_string()));
        }
    };
    let state = random_b64(32)?;
    let nonce = random_b64(32)?;
    let verifier = random_b64(32)?;
    let mut tx = app.db.begin().await?;
    store::insert_attempt(
        &mut tx,
        &AttemptRow {
            state_hash: secret_hash(&state),
            nonce: nonce.clone(),
            verifier: verifier.clone(),
            purpose: purpose.into(),
            session_hash,
            next_path: next.into(),
            created_at: micros(now),
        },
    )
    .await?;
    tx.commit().await?;
    let mut url = meta.authorization_endpoint.clone();
    {
        let challenge = pkce_challenge(&verifier);
        let scope = sso.config.scopes.join(" ");
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &sso.config.client_id)
            .append_pair("redirect_uri", &sso.config.redirect_uri)
            .append_pair("scope", &scope)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    Ok(Departure {
        url: url.into(),
        state,
    })
}

/// Starts a log-in at the provider; `next` is the local page to land on.
/// Counted per client address (`ip`, as the web layer resolved it).
pub async fn begin_login(app: &App, next: &str, ip: &str) -> Result<Departure> {
    if !app.login_limits.sso.try_hit(ip, app.now()) {
        let public = Actor::public().from_client(ip.parse().ok());
        app.deny_row(&public, Action::Login, None, "rate_limited")
            .await?;
        return Err(AppError::RateLimited);
    }
    depart(app, "login", None, next, &[]).await
}

/// Starts a re-authentication at the provider for a signed-in user: the
/// provider is asked to authenticate them afresh (`prompt=login`,
/// `max_age=0`), and the callback checks that it did.
pub async fn begin_confirm(app: &App, session_id: &str, next: &str) -> Result<Departure> {
    depart(
        app,
        "confirm",
        Some(secret_hash(session_id)),
        next,
        &[("prompt", "login"), ("max_age", "0")],
    )
    .await
}

/// Writes the refusal's audit row (as the public, or as the session's
/// user) and says what the person is told.
async fn refuse(
    app: &App,
    actor: &Actor,
    record: Option<RecordRef>,
    reason: &'static str,
    tell: Refusal,
) -> Result<Outcome> {
    tracing::info!(reason, "single sign-on refused");
    app.deny_row(actor, Action::Login, record, reason).await?;
    counted("refused", reason);
    Ok(Outcome::Refused(tell))
}

/// Counts an answer on `/metrics` (`vink_sso_logins_total`): a refusal by
/// its reason, so forged tokens or a misconfigured provider show there.
fn counted(outcome: &'static str, reason: &'static str) {
    metrics::counter!("vink_sso_logins_total", "outcome" => outcome, "reason" => reason)
        .increment(1);
}

/// Ends a log-in at the provider: see the module's description.
pub async fn complete(app: &App, cb: Callback) -> Result<Outcome> {
    let outcome = finish(app, cb).await?;
    match &outcome {
        Outcome::SignedIn { .. } => counted("signed_in", ""),
        Outcome::Confirmed { .. } => counted("confirmed", ""),
        Outcome::AwaitingAccess => counted("awaiting_access", ""),
        // Counted with its reason where it was refused.
        Outcome::Refused(_) => {}
    }
    Ok(outcome)
}

async fn finish(app: &App, cb: Callback) -> Result<Outcome> {
    let sso = sso(app)?;
    let public = Actor::public().from_client(cb.client);
    let failed = |reason: &'static str| refuse(app, &public, None, reason, Refusal::Failed);
    // The state must be the one this browser was given (login CSRF).
    let (Some(state), Some(cookie)) = (cb.state.as_deref(), cb.cookie_state.as_deref()) else {
        return failed("sso_state_mismatch").await;
    };
    if !crate::constant_eq(state, cookie) {
        return failed("sso_state_mismatch").await;
    }
    let mut tx = app.db.begin().await?;
    let attempt = store::take_attempt(&mut tx, &secret_hash(state)).await?;
    tx.commit().await?;
    let Some(attempt) = attempt else {
        return failed("sso_unknown_state").await;
    };
    let now = app.now();
    let begun = vink_store::instant(attempt.created_at)?;
    if now.duration_since(begun) > ATTEMPT_LIFETIME {
        return failed("sso_attempt_expired").await;
    }
    if let Some(e) = cb.error.as_deref() {
        // The provider's error code is a short word from RFC 6749; its
        // description is the provider's prose and is not kept.
        let code: String = e
            .chars()
            .filter(|c| c.is_ascii_lowercase() || *c == '_')
            .take(40)
            .collect();
        tracing::info!(error = %code, "the provider answered with an error");
        return failed("sso_provider_error").await;
    }
    if cb
        .iss
        .as_deref()
        .is_some_and(|iss| iss != sso.config.issuer)
    {
        return failed("sso_wrong_issuer").await;
    }
    let Some(code) = cb
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 2048)
    else {
        return failed("sso_no_code").await;
    };
    let redeemed = match sso.provider.metadata(&sso.config, now).await {
        Ok(meta) => {
            sso.provider
                .redeem(&sso.config, &meta, code, &attempt.verifier, now)
                .await
        }
        Err(e) => Err(e),
    };
    let claims = match redeemed {
        Ok(c) => c,
        Err(e @ (ProviderError::Unreachable | ProviderError::BadMetadata(_))) => {
            tracing::warn!(error = %e, "single sign-on provider unusable");
            return refuse(app, &public, None, e.reason(), Refusal::Unavailable).await;
        }
        Err(e) => return failed(e.reason()).await,
    };
    let confirming = attempt.purpose == "confirm";
    let want = Expected {
        issuer: &sso.config.issuer,
        client_id: &sso.config.client_id,
        nonce: &attempt.nonce,
        now: now.as_second(),
        authenticated_since: confirming.then(|| begun.as_second()),
    };
    if let Err(fault) = rules::check(&claims, &want) {
        return failed(fault.code()).await;
    }
    if confirming {
        confirm(app, sso, &claims, &attempt, &cb).await
    } else {
        let outcome = log_in(app, sso, &claims, &attempt, cb.client).await?;
        if let (Outcome::SignedIn { .. }, Some(ip)) = (&outcome, cb.client) {
            app.login_limits.sso.refund(&ip.to_string());
        }
        Ok(outcome)
    }
}

/// A re-authentication: the same browser's session, the same person.
async fn confirm(
    app: &App,
    sso: &Sso,
    claims: &IdClaims,
    attempt: &AttemptRow,
    cb: &Callback,
) -> Result<Outcome> {
    let public = Actor::public().from_client(cb.client);
    let session_hash = cb.session_id.as_deref().map(secret_hash);
    let session = match cb.session_id.as_deref() {
        Some(id) if session_hash == attempt.session_hash => crate::user::session(app, id).await?,
        _ => None,
    };
    let Some(session) = session else {
        return refuse(app, &public, None, "sso_session_mismatch", Refusal::Failed).await;
    };
    let actor = session.actor.clone().from_client(cb.client);
    let mut tx = app.db.begin_read().await?;
    let linked = store::identity_user(&mut tx, &sso.config.issuer, &claims.sub).await?;
    tx.commit().await?;
    if linked.map(|u| u.id) != Some(session.user_id) {
        let record = Some(RecordRef::user(session.user_id));
        app.deny_row(&actor, Action::Reauthenticate, record, "sso_other_person")
            .await?;
        counted("refused", "sso_other_person");
        return Ok(Outcome::Refused(Refusal::OtherPerson));
    }
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            &actor,
            Action::Reauthenticate,
            &Resource::None,
            Some(RecordRef::user(session.user_id)),
        )
        .await?;
    if let Some(h) = &attempt.session_hash {
        vink_store::second_factor::confirm_session(&mut tx, h, micros(app.now())).await?;
    }
    tx.commit_noting(Some("sso".into())).await?;
    Ok(Outcome::Confirmed {
        next: attempt.next_path.clone(),
    })
}

/// A log-in: the linked user, a user made from mapped claims, or a request
/// for access. Retried once when a racing first log-in of the same person
/// made the user first.
async fn log_in(
    app: &App,
    sso: &Sso,
    claims: &IdClaims,
    attempt: &AttemptRow,
    client: Option<std::net::IpAddr>,
) -> Result<Outcome> {
    match log_in_once(app, sso, claims, attempt, client).await {
        Err(AppError::Store(e)) if e.is_unique_violation() => {
            log_in_once(app, sso, claims, attempt, client).await
        }
        other => other,
    }
}

async fn log_in_once(
    app: &App,
    sso: &Sso,
    claims: &IdClaims,
    attempt: &AttemptRow,
    client: Option<std::net::IpAddr>,
) -> Result<Outcome> {
    let public = Actor::public().from_client(client);
    let issuer = sso.config.issuer.as_str();
    let map = &sso.config.claims;
    let assignment = rules::assignment(claims, map);
    if let Some(reason) = assignment.refusal() {
        let tell = match assignment {
            Assignment::Ambiguous => Refusal::Ambiguous,
            Assignment::NoAgency => Refusal::NoAgency,
            _ => Refusal::NoRole,
        };
        return refuse(app, &public, None, reason, tell).await;
    }
    let profile = rules::profile(claims, map);
    let now = app.now();
    let mut tx = app.db.begin_read().await?;
    let linked = store::identity_user(&mut tx, issuer, &claims.sub).await?;
    let agency = match &assignment {
        Assignment::Mapped {
            agency: Some(code), ..
        } => match organisation::agency_by_code(&mut tx, code).await? {
            Some(a) => Some(a.id),
            None => {
                tx.commit().await?;
                return refuse(app, &public, None, "sso_unknown_agency", Refusal::NoAgency).await;
            }
        },
        _ => None,
    };
    let enrolled = match &linked {
        Some(u) => vink_store::second_factor::is_enrolled(&mut tx, u.id).await?,
        None => false,
    };
    tx.commit().await?;
    let (user, role, mut notes) = match (linked, &assignment) {
        (Some(u), _) if !u.active => {
            let record = Some(RecordRef::user(u.id));
            return refuse(app, &public, record, "sso_disabled", Refusal::Disabled).await;
        }
        (Some(u), Assignment::Mapped { role, .. }) => (u, *role, vec!["sso"]),
        (Some(u), _) => {
            let role = Role::parse(&u.role)
                .ok_or_else(|| AppError::Internal(format!("unknown stored role {}", u.role)))?;
            (u, role, vec!["sso"])
        }
        (None, Assignment::Mapped { role, .. }) => {
            let user = UserRow {
                id: vink_domain::new_id(),
                username: String::new(),
                display_name: String::new(),
                role: role.code().into(),
                agency_id: agency,
                // No local password: this user logs in through the provider.
                password_hash: String::new(),
                active: true,
                created_at: micros(now),
            };
            (user, *role, vec!["sso", "provisioned"])
        }
        (None, _) => return request_access(app, sso, claims, &profile, &public).await,
    };
    let provisioned = notes.contains(&"provisioned");
    let by_provider = rules::second_factor_by_provider(claims, map);
    let state = if by_provider {
        notes.push("provider_second_factor");
        FactorState::Passed
    } else {
        crate::second_factor::state_at_login(app, role, enrolled)
    };
    // The provider's assignment where there is one, else vink's.
    let acting_agency = match &assignment {
        Assignment::Mapped { .. } => agency,
        _ => user.agency_id,
    };
    let actor = Actor::user(user.id, role, acting_agency).from_client(client);
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(
            tx,
            &actor,
            Action::Login,
            &Resource::None,
            Some(RecordRef::user(user.id)),
        )
        .await?;
    let mut user = user;
    if provisioned {
        user.display_name = profile
            .display_name
            .clone()
            .unwrap_or_else(|| "(single sign-on)".into());
        user.username = free_username(&mut tx, &profile, issuer, &claims.sub).await?;
        vink_store::user::insert_user(&mut tx, &user).await?;
        store::link_identity(&mut tx, issuer, &claims.sub, user.id, micros(now)).await?;
        if let Some(e) = &profile.email {
            vink_store::reminder::set_email(&mut tx, user.id, Some(e)).await?;
        }
    } else {
        if let Assignment::Mapped { role, .. } = &assignment
            && (user.role != role.code() || user.agency_id != agency)
        {
            // The provider's groups decide: the user's other sessions end.
            vink_store::user::set_role(&mut tx, user.id, role.code(), agency).await?;
            notes.push("role_from_claims");
        }
        if let Some(name) = &profile.display_name
            && *name != user.display_name
        {
            store::set_display_name(&mut tx, user.id, name).await?;
            user.display_name = name.clone();
        }
        store::touch_identity(&mut tx, issuer, &claims.sub, micros(now)).await?;
    }
    let (session_id, session) =
        crate::user::open_session(&mut tx, actor, user, role, state, now).await?;
    tx.commit_noting(Some(notes.join(","))).await?;
    Ok(Outcome::SignedIn {
        session_id,
        session: Box::new(session),
        next: attempt.next_path.clone(),
    })
}

/// The first free user name among the candidates.
async fn free_username(
    tx: &mut vink_store::Authorized,
    profile: &rules::Profile,
    issuer: &str,
    subject: &str,
) -> Result<String> {
    let identity = secret_hash(&format!("{issuer}\u{0}{subject}"));
    for name in rules::username_candidates(profile.username_hint.as_deref(), &identity) {
        if vink_store::user::user_by_name(tx, &name).await?.is_none() {
            return Ok(name);
        }
    }
    Err(AppError::Conflict(
        "no free user name for this identity".into(),
    ))
}

/// Records that someone the provider vouched for asks for access.
async fn request_access(
    app: &App,
    sso: &Sso,
    claims: &IdClaims,
    profile: &rules::Profile,
    public: &Actor,
) -> Result<Outcome> {
    let now = micros(app.now());
    let mut tx = app.db.begin().await?;
    store::upsert_access_request(
        &mut tx,
        &AccessRequestRow {
            id: vink_domain::new_id(),
            issuer: sso.config.issuer.clone(),
            subject: claims.sub.clone(),
            display_name: profile
                .display_name
                .clone()
                .unwrap_or_else(|| "(no name given)".into()),
            username_hint: profile.username_hint.clone(),
            email: profile.email.clone(),
            requested_at: now,
            last_seen_at: now,
        },
    )
    .await?;
    tx.commit().await?;
    app.deny_row(public, Action::Login, None, "sso_awaiting_access")
        .await?;
    Ok(Outcome::AwaitingAccess)
}

/// A request for access as the administrator sees it.
#[derive(Debug, Clone)]
pub struct AccessRequest {
    pub id: Uuid,
    pub display_name: String,
    pub username_hint: Option<String>,
    pub email: Option<String>,
    pub requested_at: Timestamp,
    pub last_seen_at: Timestamp,
}

/// The waiting requests, oldest first (at most 200). Audited as one read.
pub async fn access_requests(app: &App, actor: &Actor) -> Result<Vec<AccessRequest>> {
    let tx = app.db.begin_read().await?;
    let mut tx = app
        .authorize_read(tx, actor, Action::UserManage, &Resource::None, None)
        .await?;
    let rows = store::access_requests(&mut tx, 200).await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|r| {
            Ok(AccessRequest {
                id: r.id,
                display_name: r.display_name,
                username_hint: r.username_hint,
                email: r.email,
                requested_at: vink_store::instant(r.requested_at)?,
                last_seen_at: vink_store::instant(r.last_seen_at)?,
            })
        })
        .collect()
}

/// Gives a waiting person a vink user with a role: the user, linked to
/// their identity at the provider, logs in through it from now on. Of two
/// administrators granting the same request at once, one does (the other
/// is told it is gone).
pub async fn grant_access(
    app: &App,
    actor: &Actor,
    request: Uuid,
    username: &str,
    role: Option<&str>,
    agency: Option<&str>,
) -> Result<String> {
    let mut errs = vink_domain::validation::FieldErrors::new();
    let username = crate::user::checked_username(&mut errs, username);
    let role = crate::parse_code(&mut errs, "role", role, Role::parse, Role::codes, true);
    let id = vink_domain::new_id();
    let mut tx = app.db.begin().await?;
    let agency = crate::user::checked_agency(&mut tx, &mut errs, role, agency).await?;
    let request_row = store::access_request(&mut tx, request).await?;
    let mut tx = app
        .authorize(
            tx,
            actor,
            Action::UserManage,
            &Resource::None,
            Some(RecordRef::user(id)),
        )
        .await?;
    let Some(req) = request_row else {
        return Err(AppError::NotFound);
    };
    let Some(role) = errs.finish(role)? else {
        return Err(AppError::Internal("validated role missing".into()));
    };
    if vink_store::user::user_by_name(&mut tx, &username)
        .await?
        .is_some()
    {
        return Err(crate::invalid("username", "taken", "is taken"));
    }
    if !store::delete_access_request(&mut tx, request).await? {
        return Err(AppError::NotFound);
    }
    let now = micros(tx.at());
    vink_store::user::insert_user(
        &mut tx,
        &UserRow {
            id,
            username: username.clone(),
            display_name: req.display_name.clone(),
            role: role.code().into(),
            agency_id: agency.filter(|_| role == Role::CoordinationUnit),
            password_hash: String::new(),
            active: true,
            created_at: now,
        },
    )
    .await?;
    store::link_identity(&mut tx, &req.issuer, &req.subject, id, now).await?;
    if let Some(e) = &req.email {
        vink_store::reminder::set_email(&mut tx, id, Some(e)).await?;
    }
    tx.commit_noting(Some("access_granted".into())).await?;
    Ok(username)
}

/// Turns a request down; the person can log in again to ask anew.
pub async fn dismiss_access(app: &App, actor: &Actor, request: Uuid) -> Result<()> {
    let tx = app.db.begin().await?;
    let mut tx = app
        .authorize(tx, actor, Action::UserManage, &Resource::None, None)
        .await?;
    if !store::delete_access_request(&mut tx, request).await? {
        return Err(AppError::NotFound);
    }
    tx.commit_noting(Some("access_dismissed".into())).await?;
    Ok(())
}

/// Where to send the browser after a log-out at vink, so the session at
/// the provider ends too (otherwise the next person at a shared computer
/// would be let in by it without a password): the provider's end-session
/// address, for users who log in through it, where the provider has one
/// and the settings do not switch it off. The provider may ask the person
/// to confirm, then sends them to `post_logout_redirect_uri`.
pub async fn logout_redirect(app: &App, user_id: Uuid) -> Result<Option<String>> {
    let Some(sso) = app.sso.as_ref().filter(|s| s.config.logout_at_provider) else {
        return Ok(None);
    };
    let mut tx = app.db.begin_read().await?;
    let linked = store::has_identity(&mut tx, user_id).await?;
    tx.commit().await?;
    if !linked {
        return Ok(None);
    }
    let meta = match sso.provider.metadata(&sso.config, app.now()).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "single sign-on provider unusable at log-out");
            return Ok(None);
        }
    };
    Ok(meta.end_session_endpoint.map(|mut url| {
        url.query_pairs_mut()
            .append_pair("client_id", &sso.config.client_id)
            .append_pair(
                "post_logout_redirect_uri",
                &sso.config.post_logout_redirect_uri,
            );
        url.into()
    }))
}

/// The provider's name where the user logs in through it (to offer
/// re-authentication there); empty otherwise.
pub async fn offered_to(app: &App, user_id: Uuid) -> Result<String> {
    let Some(sso) = &app.sso else {
        return Ok(String::new());
    };
    let mut tx = app.db.begin_read().await?;
    let linked = store::has_identity(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(if linked {
        sso.config.display_name.clone()
    } else {
        String::new()
    })
}

/// Removes log-ins never answered; run with the session sweep.
pub async fn sweep_attempts(app: &App) -> Result<u64> {
    let cutoff = app.now() - ATTEMPT_LIFETIME;
    let mut tx = app.db.begin().await?;
    let n = store::delete_attempts_before(&mut tx, micros(cutoff)).await?;
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
