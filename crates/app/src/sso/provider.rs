//! Talking to the OpenID provider: its discovery document and signing keys
//! (cached; the keys fetched again when a token names one we lack, so the
//! provider can roll its keys), the code exchange at the token endpoint,
//! and the ID token's signature. Everything the provider sends is bounded
//! in size and time, and nothing it sends is logged.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::Url;
use serde::Deserialize;
use tokio::sync::Mutex;
use vink_domain::sso::IdClaims;

use super::config::{ClientAuth, SsoConfig, acceptable_url};

/// The signature algorithms accepted: asymmetric only, so a token signed
/// with a public key as an HMAC secret (`alg` confusion) or with `none`
/// is refused.
const ALGORITHMS: &[(&str, Algorithm)] = &[
    ("RS256", Algorithm::RS256),
    ("RS384", Algorithm::RS384),
    ("RS512", Algorithm::RS512),
    ("PS256", Algorithm::PS256),
    ("PS384", Algorithm::PS384),
    ("PS512", Algorithm::PS512),
    ("ES256", Algorithm::ES256),
    ("ES384", Algorithm::ES384),
    ("EdDSA", Algorithm::EdDSA),
];

/// How long the discovery document and keys are trusted before they are
/// fetched again.
const METADATA_LIFETIME: SignedDuration = SignedDuration::from_hours(1);
/// The least time between two fetches of the keys on an unknown key id,
/// so forged tokens cannot make vink hammer the provider.
const KEY_REFETCH_PAUSE: SignedDuration = SignedDuration::from_secs(30);
/// The most vink reads of any answer from the provider.
const MAX_BODY: usize = 256 * 1024;

/// Why the provider's answer was not used: the audit reason.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProviderError {
    #[error("the identity provider does not answer")]
    Unreachable,
    #[error("the identity provider's metadata is unusable: {0}")]
    BadMetadata(String),
    #[error("the token endpoint refused the code")]
    TokenRefused,
    #[error("the token response is malformed")]
    BadTokenResponse,
    #[error("the ID token is malformed")]
    Malformed,
    #[error("the ID token's algorithm is not accepted")]
    BadAlgorithm,
    #[error("the ID token names no key the provider publishes")]
    UnknownKey,
    #[error("the ID token's signature is wrong")]
    BadSignature,
}

impl ProviderError {
    pub fn reason(&self) -> &'static str {
        match self {
            ProviderError::Unreachable => "sso_provider_unreachable",
            ProviderError::BadMetadata(_) => "sso_bad_metadata",
            ProviderError::TokenRefused => "sso_token_refused",
            ProviderError::BadTokenResponse => "sso_bad_token_response",
            ProviderError::Malformed => "sso_malformed_token",
            ProviderError::BadAlgorithm => "sso_bad_algorithm",
            ProviderError::UnknownKey => "sso_unknown_key",
            ProviderError::BadSignature => "sso_bad_signature",
        }
    }
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    end_session_endpoint: Option<String>,
}

/// The provider's endpoints and keys as last fetched.
#[derive(Clone)]
pub(crate) struct Metadata {
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    /// Where a log-out at vink ends the provider's session too (OpenID
    /// Connect RP-Initiated Logout), where the provider has one.
    pub end_session_endpoint: Option<Url>,
    jwks_uri: Url,
    keys: Vec<Jwk>,
    fetched: Timestamp,
    keys_fetched: Timestamp,
}

/// The HTTP client and the cache of the provider's metadata.
pub(crate) struct Provider {
    http: reqwest::Client,
    cache: Mutex<Option<Metadata>>,
}

fn endpoint(name: &str, s: &str) -> Result<Url, ProviderError> {
    let url = Url::parse(s).map_err(|e| ProviderError::BadMetadata(format!("{name}: {e}")))?;
    if acceptable_url(&url) {
        Ok(url)
    } else {
        Err(ProviderError::BadMetadata(format!("{name}: not https")))
    }
}

impl Provider {
    pub fn new(config: &SsoConfig) -> Result<Provider, super::SsoConfigError> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("vink/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &config.ca_pem {
            for cert in reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| super::SsoConfigError::Bad(format!("ca_file: {e}")))?
            {
                b = b.add_root_certificate(cert);
            }
        }
        let http = b
            .build()
            .map_err(|e| super::SsoConfigError::Bad(format!("HTTP client: {e}")))?;
        Ok(Provider {
            http,
            cache: Mutex::new(None),
        })
    }

    /// Reads an answer of at most [`MAX_BODY`] bytes.
    async fn body(mut resp: reqwest::Response) -> Result<Vec<u8>, ProviderError> {
        let mut out = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|_| ProviderError::Unreachable)? {
            if out.len() + chunk.len() > MAX_BODY {
                return Err(ProviderError::BadMetadata("answer too large".into()));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &Url,
    ) -> Result<T, ProviderError> {
        let resp = self
            .http
            .get(url.clone())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|_| ProviderError::Unreachable)?;
        if !resp.status().is_success() {
            return Err(ProviderError::Unreachable);
        }
        let body = Self::body(resp).await?;
        serde_json::from_slice(&body).map_err(|e| ProviderError::BadMetadata(e.to_string()))
    }

    /// The keys at `url` that can verify signatures; others (encryption
    /// keys, kinds this build cannot read) are left out, not fatal.
    async fn fetch_keys(&self, url: &Url) -> Result<Vec<Jwk>, ProviderError> {
        #[derive(Deserialize)]
        struct Set {
            keys: Vec<serde_json::Value>,
        }
        let set: Set = self.get_json(url).await?;
        Ok(set
            .keys
            .into_iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
            .filter(|k| k.common.public_key_use != Some(PublicKeyUse::Encryption))
            .collect())
    }

    async fn fetch(&self, config: &SsoConfig, now: Timestamp) -> Result<Metadata, ProviderError> {
        let url = Url::parse(&format!(
            "{}/.well-known/openid-configuration",
            config.issuer.trim_end_matches('/')
        ))
        .map_err(|e| ProviderError::BadMetadata(e.to_string()))?;
        let d: Discovery = self.get_json(&url).await?;
        // A document naming another issuer is not this provider's
        // (OpenID Connect Discovery 4.3).
        if d.issuer != config.issuer {
            return Err(ProviderError::BadMetadata(
                "the discovery document names another issuer".into(),
            ));
        }
        let jwks_uri = endpoint("jwks_uri", &d.jwks_uri)?;
        let keys = self.fetch_keys(&jwks_uri).await?;
        Ok(Metadata {
            authorization_endpoint: endpoint("authorization_endpoint", &d.authorization_endpoint)?,
            token_endpoint: endpoint("token_endpoint", &d.token_endpoint)?,
            end_session_endpoint: d
                .end_session_endpoint
                .as_deref()
                .map(|e| endpoint("end_session_endpoint", e))
                .transpose()?,
            jwks_uri,
            keys,
            fetched: now,
            keys_fetched: now,
        })
    }

    /// The metadata, fetched when missing or older than an hour.
    pub async fn metadata(
        &self,
        config: &SsoConfig,
        now: Timestamp,
    ) -> Result<Metadata, ProviderError> {
        let mut cache = self.cache.lock().await;
        if let Some(m) = cache.as_ref()
            && now.duration_since(m.fetched) < METADATA_LIFETIME
        {
            return Ok(m.clone());
        }
        let m = self.fetch(config, now).await?;
        *cache = Some(m.clone());
        Ok(m)
    }

    /// The keys again, when a token names one not in the cache and the
    /// last fetch is not too recent.
    async fn refetch_keys(&self, now: Timestamp) -> Option<Vec<Jwk>> {
        let mut cache = self.cache.lock().await;
        let m = cache.as_mut()?;
        if now.duration_since(m.keys_fetched) < KEY_REFETCH_PAUSE {
            return None;
        }
        m.keys_fetched = now;
        let keys = self.fetch_keys(&m.jwks_uri).await.ok()?;
        m.keys = keys.clone();
        Some(keys)
    }

    /// Exchanges the code for tokens and returns the ID token's claims,
    /// its signature checked (the claims themselves are checked by
    /// `domain::sso::check`).
    pub async fn redeem(
        &self,
        config: &SsoConfig,
        meta: &Metadata,
        code: &str,
        verifier: &str,
        now: Timestamp,
    ) -> Result<IdClaims, ProviderError> {
        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &config.redirect_uri),
            ("code_verifier", verifier),
        ];
        let mut req = self
            .http
            .post(meta.token_endpoint.clone())
            .header("accept", "application/json");
        match config.client_auth {
            ClientAuth::Basic => {
                // RFC 6749 2.3.1: both parts form-encoded before Basic.
                let enc =
                    |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                let pair = format!("{}:{}", enc(&config.client_id), enc(&config.client_secret));
                let b64 = base64::engine::general_purpose::STANDARD.encode(pair);
                req = req.header("authorization", format!("Basic {b64}"));
            }
            ClientAuth::Post => {
                form.push(("client_id", &config.client_id));
                form.push(("client_secret", &config.client_secret));
            }
        }
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = req
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|_| ProviderError::Unreachable)?;
        if !resp.status().is_success() {
            return Err(ProviderError::TokenRefused);
        }
        #[derive(Deserialize)]
        struct Tokens {
            id_token: String,
        }
        let body = Self::body(resp)
            .await
            .map_err(|_| ProviderError::BadTokenResponse)?;
        let tokens: Tokens =
            serde_json::from_slice(&body).map_err(|_| ProviderError::BadTokenResponse)?;
        self.verify(meta, &tokens.id_token, now).await
    }

    /// Checks the ID token's signature against the provider's keys.
    async fn verify(
        &self,
        meta: &Metadata,
        token: &str,
        now: Timestamp,
    ) -> Result<IdClaims, ProviderError> {
        let alg = header_alg(token)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| ProviderError::Malformed)?;
        let key = match pick_key(&meta.keys, header.kid.as_deref(), alg)? {
            Some(k) => k,
            None => {
                let fresh = self
                    .refetch_keys(now)
                    .await
                    .ok_or(ProviderError::UnknownKey)?;
                pick_key(&fresh, header.kid.as_deref(), alg)?.ok_or(ProviderError::UnknownKey)?
            }
        };
        let mut v = Validation::new(alg);
        // Time, audience and issuer are checked by `domain::sso::check`,
        // on the application's clock.
        v.validate_exp = false;
        v.validate_nbf = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<IdClaims>(token, &key, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => ProviderError::BadSignature,
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => ProviderError::BadAlgorithm,
                _ => ProviderError::Malformed,
            })
    }
}

/// The token's `alg`, read before anything else: `none`, HMAC and
/// anything unknown are refused as such.
fn header_alg(token: &str) -> Result<Algorithm, ProviderError> {
    #[derive(Deserialize)]
    struct Head {
        alg: String,
    }
    let first = token.split('.').next().ok_or(ProviderError::Malformed)?;
    let raw = URL_SAFE_NO_PAD
        .decode(first)
        .map_err(|_| ProviderError::Malformed)?;
    let head: Head = serde_json::from_slice(&raw).map_err(|_| ProviderError::Malformed)?;
    ALGORITHMS
        .iter()
        .find(|(name, _)| *name == head.alg)
        .map(|(_, a)| *a)
        .ok_or(ProviderError::BadAlgorithm)
}

/// The key a token names (by `kid`), or the one key of the set when the
/// token names none. A key that declares another algorithm is refused.
fn pick_key(
    keys: &[Jwk],
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<Option<DecodingKey>, ProviderError> {
    let found: Option<&Jwk> = match kid {
        Some(kid) => keys
            .iter()
            .find(|k| k.common.key_id.as_deref() == Some(kid)),
        None if keys.len() == 1 => keys.first(),
        None => return Err(ProviderError::UnknownKey),
    };
    let Some(jwk) = found else { return Ok(None) };
    if let Some(declared) = jwk.common.key_algorithm
        && declared.to_string() != format!("{alg:?}")
    {
        return Err(ProviderError::BadAlgorithm);
    }
    DecodingKey::from_jwk(jwk)
        .map(Some)
        .map_err(|_| ProviderError::BadAlgorithm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(v: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn none_hmac_and_unknown_algorithms_are_refused_by_name() {
        for alg in ["none", "HS256", "HS512", "XYZ"] {
            let t = format!(
                "{}.{}.",
                b64(&serde_json::json!({"alg": alg})),
                b64(&serde_json::json!({}))
            );
            assert_eq!(header_alg(&t), Err(ProviderError::BadAlgorithm), "{alg}");
        }
        let t = format!("{}.e30.sig", b64(&serde_json::json!({"alg": "RS256"})));
        assert_eq!(header_alg(&t), Ok(Algorithm::RS256));
        assert_eq!(header_alg("%%%.e30.x"), Err(ProviderError::Malformed));
    }

    #[test]
    fn a_key_declaring_another_algorithm_is_refused() {
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "RSA", "kid": "k1", "alg": "RS512", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"
        }))
        .unwrap();
        let keys = vec![jwk];
        assert!(matches!(
            pick_key(&keys, Some("k1"), Algorithm::RS256),
            Err(ProviderError::BadAlgorithm)
        ));
        assert!(matches!(
            pick_key(&keys, Some("k1"), Algorithm::RS512),
            Ok(Some(_))
        ));
        assert!(matches!(
            pick_key(&keys, Some("k2"), Algorithm::RS512),
            Ok(None)
        ));
        assert!(matches!(
            pick_key(&keys, None, Algorithm::RS512),
            Ok(Some(_))
        ));
    }
}
