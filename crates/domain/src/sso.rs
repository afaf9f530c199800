//! Single sign-on through an OpenID Connect provider: the checks an ID
//! token's claims must pass (OpenID Connect Core 1.0, 3.1.3.7), and how the
//! provider's claims become a vink role and agency. Pure: the app layer
//! checks the signature before these rules see the claims, and passes the
//! clock in.
//!
//! The provider vouches for *who* someone is. *What* they may do in vink
//! comes either from claims the municipality's provider asserts (mapped here
//! by configuration, so an unknown group gives nothing) or from an
//! administrator in vink; never from a matching name or e-mail address.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::user::{Role, valid_username};

/// How far the provider's clock may be from ours (seconds).
pub const LEEWAY_SECONDS: i64 = 60;

/// An ID token older than this when it arrives is refused, however long
/// its `exp`: the token endpoint has just issued it.
pub const MAX_TOKEN_AGE_SECONDS: i64 = 10 * 60;

/// The claims vink reads from an ID token; the rest stay in `extra`, for
/// the configured role, agency and profile claims.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    #[serde(default)]
    pub azp: Option<String>,
    pub exp: i64,
    pub iat: i64,
    #[serde(default)]
    pub nbf: Option<i64>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub auth_time: Option<i64>,
    #[serde(default)]
    pub acr: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub amr: Vec<String>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// A string or an array of strings (`aud`, `amr`, group claims).
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// What the callback expects of the token: from the configuration and the
/// log-in attempt it answers.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Now, in seconds since the epoch.
    pub now: i64,
    /// For a re-authentication: when it was asked for (seconds). The
    /// provider must have authenticated the person since.
    pub authenticated_since: Option<i64>,
}

crate::code_enum!(
    /// Why an ID token (or the response carrying it) was refused: the
    /// audit row's reason. The person is told only that it failed.
    TokenFault {
        WrongIssuer => "sso_wrong_issuer",
        WrongAudience => "sso_wrong_audience",
        WrongAuthorisedParty => "sso_wrong_azp",
        Expired => "sso_expired",
        NotYetValid => "sso_not_yet_valid",
        TooOld => "sso_too_old",
        WrongNonce => "sso_wrong_nonce",
        StaleAuthentication => "sso_stale_authentication",
        EmptySubject => "sso_empty_subject",
    }
);

/// Checks an ID token's claims; the first fault found, in the order of
/// OpenID Connect Core 3.1.3.7.
pub fn check(claims: &IdClaims, want: &Expected<'_>) -> Result<(), TokenFault> {
    if claims.iss != want.issuer {
        return Err(TokenFault::WrongIssuer);
    }
    if !claims.aud.iter().any(|a| a == want.client_id) {
        return Err(TokenFault::WrongAudience);
    }
    // More than one audience: the token must say it was issued to us.
    let azp_ok = match &claims.azp {
        Some(azp) => azp == want.client_id,
        None => claims.aud.len() == 1,
    };
    if !azp_ok {
        return Err(TokenFault::WrongAuthorisedParty);
    }
    if claims.exp + LEEWAY_SECONDS <= want.now {
        return Err(TokenFault::Expired);
    }
    if claims.iat > want.now + LEEWAY_SECONDS
        || claims
            .nbf
            .is_some_and(|nbf| nbf > want.now + LEEWAY_SECONDS)
    {
        return Err(TokenFault::NotYetValid);
    }
    if claims.iat + MAX_TOKEN_AGE_SECONDS < want.now {
        return Err(TokenFault::TooOld);
    }
    if claims.nonce.as_deref() != Some(want.nonce) {
        return Err(TokenFault::WrongNonce);
    }
    if let Some(since) = want.authenticated_since {
        match claims.auth_time {
            Some(t) if t + LEEWAY_SECONDS >= since => {}
            _ => return Err(TokenFault::StaleAuthentication),
        }
    }
    if claims.sub.trim().is_empty() || claims.sub.len() > 255 {
        return Err(TokenFault::EmptySubject);
    }
    Ok(())
}

/// Which claims say what, and how the provider's values become vink's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMap {
    /// The claim holding a log-in name to suggest as the vink user name.
    pub username: String,
    /// The claim holding the person's name.
    pub name: String,
    /// The claim holding an e-mail address (used only when the provider
    /// says it is verified), for reminders.
    pub email: String,
    /// The claim holding group or role values; with `roles` empty, an
    /// administrator assigns roles in vink instead.
    pub role: String,
    /// Provider value → vink role. Values not named give nothing.
    pub roles: BTreeMap<String, Role>,
    /// The claim holding the agency of a coordination-unit member.
    pub agency: String,
    /// Provider value → vink agency code; empty: the value is the code.
    pub agencies: BTreeMap<String, String>,
    /// `amr` values that show the provider asked for a second factor.
    pub second_factor_amr: Vec<String>,
    /// `acr` values that show the same (an assurance level).
    pub second_factor_acr: Vec<String>,
}

impl Default for ClaimMap {
    fn default() -> Self {
        ClaimMap {
            username: "preferred_username".into(),
            name: "name".into(),
            email: "email".into(),
            role: "groups".into(),
            roles: BTreeMap::new(),
            agency: "vink_agency".into(),
            agencies: BTreeMap::new(),
            second_factor_amr: Vec::new(),
            second_factor_acr: Vec::new(),
        }
    }
}

/// What a person's claims give them in vink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    /// Roles come from claims, and these claims give this role (and the
    /// agency code, for a coordination-unit member).
    Mapped { role: Role, agency: Option<String> },
    /// Roles are assigned in vink, by an administrator.
    ByAdministrator,
    /// Roles come from claims, and these give none.
    NoRole,
    /// The claims give more than one role: vink gives a user one.
    Ambiguous,
    /// A coordination-unit role without a known agency.
    NoAgency,
}

impl Assignment {
    /// The audit reason for a refused assignment.
    pub fn refusal(&self) -> Option<&'static str> {
        match self {
            Assignment::Mapped { .. } | Assignment::ByAdministrator => None,
            Assignment::NoRole => Some("sso_no_role"),
            Assignment::Ambiguous => Some("sso_ambiguous_role"),
            Assignment::NoAgency => Some("sso_no_agency"),
        }
    }
}

/// The string values of a claim (a string or an array of strings).
fn values<'a>(claims: &'a IdClaims, name: &str) -> Vec<&'a str> {
    match claims.extra.get(name) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The role (and agency) the claims give, by the mapping.
pub fn assignment(claims: &IdClaims, map: &ClaimMap) -> Assignment {
    if map.roles.is_empty() {
        return Assignment::ByAdministrator;
    }
    let mut roles: Vec<Role> = values(claims, &map.role)
        .into_iter()
        .filter_map(|v| map.roles.get(v).copied())
        .collect();
    roles.sort_by_key(|r| r.code());
    roles.dedup();
    let role = match roles.as_slice() {
        [] => return Assignment::NoRole,
        [one] => *one,
        _ => return Assignment::Ambiguous,
    };
    if role != Role::CoordinationUnit {
        // Only the coordination unit acts as an agency.
        return Assignment::Mapped { role, agency: None };
    }
    let agency = values(claims, &map.agency).into_iter().find_map(|v| {
        if map.agencies.is_empty() {
            Some(v.trim().to_lowercase())
        } else {
            map.agencies.get(v).cloned()
        }
    });
    match agency.filter(|a| !a.is_empty()) {
        Some(agency) => Assignment::Mapped {
            role,
            agency: Some(agency),
        },
        None => Assignment::NoAgency,
    }
}

/// Whether the provider says it asked for a second factor, by the
/// configured `amr` or `acr` values.
pub fn second_factor_by_provider(claims: &IdClaims, map: &ClaimMap) -> bool {
    claims
        .amr
        .iter()
        .any(|a| map.second_factor_amr.iter().any(|m| m == a))
        || claims
            .acr
            .as_ref()
            .is_some_and(|acr| map.second_factor_acr.iter().any(|m| m == acr))
}

/// What vink keeps of the person from the claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub display_name: Option<String>,
    pub username_hint: Option<String>,
    /// Only an address the provider says it verified.
    pub email: Option<String>,
}

/// A claim's text, trimmed, without control characters, at most `max`
/// characters.
fn text(claims: &IdClaims, name: &str, max: usize) -> Option<String> {
    let v = claims.extra.get(name)?.as_str()?;
    let clean: String = v
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

pub fn profile(claims: &IdClaims, map: &ClaimMap) -> Profile {
    let verified = claims.extra.get("email_verified") == Some(&Value::Bool(true));
    Profile {
        display_name: text(claims, &map.name, 200),
        username_hint: text(claims, &map.username, 200),
        email: text(claims, &map.email, 254)
            .filter(|e| verified && e.contains('@') && !e.contains(char::is_whitespace)),
    }
}

/// User names to try for a new user, best first: the hint made a valid
/// name (the part before `@` of an address), numbered variants of it, and
/// last a name from the identity itself (`sso-` and 10 hex digits of
/// `identity_hash`), which is as unique as the identity.
pub fn username_candidates(hint: Option<&str>, identity_hash: &str) -> Vec<String> {
    let mut out = Vec::new();
    let base: Option<String> = hint.map(|h| {
        let h = h.split('@').next().unwrap_or(h).to_lowercase();
        let s: String = h
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .take(56)
            .collect();
        s.trim_matches(|c: char| !c.is_ascii_alphanumeric())
            .to_string()
    });
    if let Some(b) = base.filter(|b| valid_username(b)) {
        out.push(b.clone());
        out.extend((2..=9).map(|n| format!("{b}-{n}")));
    }
    let tail: String = identity_hash.chars().take(10).collect();
    out.push(format!("sso-{tail}"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn claims(v: Value) -> IdClaims {
        serde_json::from_value(v).unwrap()
    }

    fn good() -> Value {
        json!({
            "iss": "https://idp.example", "sub": "abc", "aud": "vink",
            "exp": NOW + 300, "iat": NOW - 5, "nonce": "n-1", "auth_time": NOW - 10,
            "groups": ["VINK-Sekretariat", "Other"], "name": " Sara\u{7} S ",
            "preferred_username": "Sara.S@kk.dk", "email": "sara@kk.dk", "email_verified": true,
            "amr": ["pwd", "mfa"]
        })
    }

    fn want() -> Expected<'static> {
        Expected {
            issuer: "https://idp.example",
            client_id: "vink",
            nonce: "n-1",
            now: NOW,
            authenticated_since: None,
        }
    }

    fn with(mut v: Value, key: &str, val: Value) -> IdClaims {
        v[key] = val;
        claims(v)
    }

    #[test]
    fn a_good_token_passes() {
        assert_eq!(check(&claims(good()), &want()), Ok(()));
    }

    #[test]
    fn each_fault_is_named() {
        use TokenFault::*;
        let cases = [
            ("iss", json!("https://evil.example"), WrongIssuer),
            ("aud", json!("other"), WrongAudience),
            ("aud", json!(["vink", "other"]), WrongAuthorisedParty),
            ("azp", json!("other"), WrongAuthorisedParty),
            ("exp", json!(NOW - LEEWAY_SECONDS), Expired),
            ("iat", json!(NOW + LEEWAY_SECONDS + 1), NotYetValid),
            ("nbf", json!(NOW + LEEWAY_SECONDS + 1), NotYetValid),
            ("iat", json!(NOW - MAX_TOKEN_AGE_SECONDS - 1), TooOld),
            ("nonce", json!("n-2"), WrongNonce),
            ("nonce", Value::Null, WrongNonce),
            ("sub", json!(" "), EmptySubject),
        ];
        for (key, val, fault) in cases {
            assert_eq!(
                check(&with(good(), key, val.clone()), &want()),
                Err(fault),
                "{key}={val}"
            );
        }
    }

    #[test]
    fn several_audiences_pass_only_with_azp_naming_us() {
        let mut v = good();
        v["aud"] = json!(["vink", "other"]);
        v["azp"] = json!("vink");
        assert_eq!(check(&claims(v), &want()), Ok(()));
    }

    #[test]
    fn the_clock_may_be_off_by_the_leeway() {
        let c = with(good(), "exp", json!(NOW - LEEWAY_SECONDS + 1));
        assert_eq!(check(&c, &want()), Ok(()));
        let c = with(good(), "iat", json!(NOW + LEEWAY_SECONDS));
        assert_eq!(check(&c, &want()), Ok(()));
    }

    #[test]
    fn re_authentication_needs_a_fresh_log_in_at_the_provider() {
        let mut w = want();
        w.authenticated_since = Some(NOW - 10 + LEEWAY_SECONDS);
        assert_eq!(check(&claims(good()), &w), Ok(()));
        w.authenticated_since = Some(NOW - 10 + LEEWAY_SECONDS + 1);
        assert_eq!(
            check(&claims(good()), &w),
            Err(TokenFault::StaleAuthentication)
        );
        let mut v = good();
        v.as_object_mut().unwrap().remove("auth_time");
        w.authenticated_since = Some(NOW - 100);
        assert_eq!(check(&claims(v), &w), Err(TokenFault::StaleAuthentication));
    }

    fn map() -> ClaimMap {
        ClaimMap {
            roles: [
                ("VINK-Sekretariat".to_string(), Role::Secretariat),
                ("VINK-Mentor".to_string(), Role::Mentor),
                ("VINK-Koordination".to_string(), Role::CoordinationUnit),
                ("VINK-Sekretariat-2".to_string(), Role::Secretariat),
            ]
            .into(),
            second_factor_amr: vec!["mfa".into()],
            second_factor_acr: vec!["substantial".into()],
            ..ClaimMap::default()
        }
    }

    #[test]
    fn roles_come_from_named_values_only() {
        let c = claims(good());
        assert_eq!(
            assignment(&c, &map()),
            Assignment::Mapped {
                role: Role::Secretariat,
                agency: None
            }
        );
        assert_eq!(
            assignment(&c, &ClaimMap::default()),
            Assignment::ByAdministrator
        );
        let c = with(good(), "groups", json!(["Other"]));
        assert_eq!(assignment(&c, &map()), Assignment::NoRole);
        let c = with(good(), "groups", json!("VINK-Mentor"));
        assert_eq!(
            assignment(&c, &map()),
            Assignment::Mapped {
                role: Role::Mentor,
                agency: None
            }
        );
        let c = with(good(), "groups", json!(["VINK-Mentor", "VINK-Sekretariat"]));
        assert_eq!(assignment(&c, &map()), Assignment::Ambiguous);
        // Two values for the same role are one role.
        let c = with(
            good(),
            "groups",
            json!(["VINK-Sekretariat", "VINK-Sekretariat-2"]),
        );
        assert!(matches!(assignment(&c, &map()), Assignment::Mapped { .. }));
    }

    #[test]
    fn a_coordination_unit_member_needs_an_agency() {
        let mut v = good();
        v["groups"] = json!(["VINK-Koordination"]);
        assert_eq!(assignment(&claims(v.clone()), &map()), Assignment::NoAgency);
        v["vink_agency"] = json!("SSP");
        assert_eq!(
            assignment(&claims(v.clone()), &map()),
            Assignment::Mapped {
                role: Role::CoordinationUnit,
                agency: Some("ssp".into())
            }
        );
        let mut m = map();
        m.agencies = [("SSP-KBH".to_string(), "ssp".to_string())].into();
        assert_eq!(assignment(&claims(v.clone()), &m), Assignment::NoAgency);
        v["vink_agency"] = json!("SSP-KBH");
        assert_eq!(
            assignment(&claims(v), &m),
            Assignment::Mapped {
                role: Role::CoordinationUnit,
                agency: Some("ssp".into())
            }
        );
    }

    #[test]
    fn the_provider_second_factor_counts_only_when_configured() {
        assert!(second_factor_by_provider(&claims(good()), &map()));
        assert!(!second_factor_by_provider(
            &claims(good()),
            &ClaimMap::default()
        ));
        let c = with(good(), "amr", json!(["pwd"]));
        assert!(!second_factor_by_provider(&c, &map()));
        let c = with(good(), "acr", json!("substantial"));
        assert!(second_factor_by_provider(&c, &map()));
    }

    #[test]
    fn the_profile_is_cleaned_and_email_needs_verification() {
        let p = profile(&claims(good()), &map());
        assert_eq!(p.display_name.as_deref(), Some("Sara S"));
        assert_eq!(p.email.as_deref(), Some("sara@kk.dk"));
        let p = profile(&with(good(), "email_verified", json!(false)), &map());
        assert_eq!(p.email, None);
    }

    #[test]
    fn user_names_are_valid_and_end_with_one_from_the_identity() {
        let c = username_candidates(Some("Sara.S@kk.dk"), "0123456789abcdef");
        assert_eq!(c[0], "sara.s");
        assert_eq!(c[1], "sara.s-2");
        assert_eq!(c.last().map(String::as_str), Some("sso-0123456789"));
        assert!(c.iter().all(|n| valid_username(n)));
        let c = username_candidates(Some("Ø"), "ff00ff00ff00");
        assert_eq!(c, vec!["sso-ff00ff00ff".to_string()]);
        assert_eq!(username_candidates(None, "ab").len(), 1);
    }
}
