//! The single sign-on settings, from one TOML file (`--sso-config`):
//!
//! ```toml
//! issuer = "https://login.example.dk"          # exactly as the provider names itself
//! client_id = "vink"
//! client_secret_file = "/etc/vink/sso-secret"  # or client_secret, or VINK_SSO_CLIENT_SECRET
//! redirect_uri = "https://vink.example.dk/login/sso/callback"
//! # post_logout_redirect_uri = "https://vink.example.dk/login"  # the default
//! # logout_at_provider = true                                  # log-out ends the provider's session too
//! display_name = "Københavns Kommune"          # on the log-in button
//! scopes = ["profile", "email", "vink"]         # openid is always asked for
//!
//! [claims]                                      # which claims say what (these are the defaults)
//! username = "preferred_username"
//! name = "name"
//! email = "email"
//! role = "groups"
//! agency = "vink_agency"
//! second_factor_amr = ["mfa"]                   # the provider asked for a second factor
//! second_factor_acr = []
//!
//! [roles]                                       # without it an administrator assigns roles in vink
//! "VINK-Sekretariat" = "secretariat"
//!
//! [agencies]                                    # without it the claim's value is the agency code
//! "SSP-KBH" = "ssp"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use reqwest::Url;
use serde::Deserialize;
use vink_domain::sso::ClaimMap;
use vink_domain::user::Role;

/// The route the provider sends the browser back to.
pub const CALLBACK_PATH: &str = "/login/sso/callback";

/// Why the settings cannot be used; said at start, before anyone tries.
#[derive(Debug, thiserror::Error)]
pub enum SsoConfigError {
    #[error("single sign-on settings {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("single sign-on settings: {0}")]
    Bad(String),
}

fn bad(s: impl Into<String>) -> SsoConfigError {
    SsoConfigError::Bad(s.into())
}

/// How vink proves itself to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic (the default of OpenID Connect).
    Basic,
    /// `client_id` and `client_secret` in the form.
    Post,
}

/// The settings, checked. Debug output never shows the secret.
#[derive(Clone)]
pub struct SsoConfig {
    pub issuer: String,
    pub client_id: String,
    pub(crate) client_secret: String,
    pub redirect_uri: String,
    /// Where the provider sends the browser after a log-out there: vink's
    /// log-in page unless set (register it at the provider).
    pub post_logout_redirect_uri: String,
    /// Whether log-out at vink also ends the session at the provider.
    pub logout_at_provider: bool,
    /// The provider's name, on the log-in button.
    pub display_name: String,
    /// `openid` and the configured scopes.
    pub scopes: Vec<String>,
    pub client_auth: ClientAuth,
    /// Extra trusted root certificates (a municipality's own CA), PEM.
    pub ca_pem: Option<Vec<u8>>,
    pub claims: ClaimMap,
}

impl std::fmt::Debug for SsoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
    client_secret_file: Option<PathBuf>,
    redirect_uri: String,
    post_logout_redirect_uri: Option<String>,
    logout_at_provider: Option<bool>,
    display_name: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    token_endpoint_auth: Option<String>,
    ca_file: Option<PathBuf>,
    #[serde(default)]
    claims: Claims,
    #[serde(default)]
    roles: BTreeMap<String, String>,
    #[serde(default)]
    agencies: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Claims {
    username: Option<String>,
    name: Option<String>,
    email: Option<String>,
    role: Option<String>,
    agency: Option<String>,
    #[serde(default)]
    second_factor_amr: Vec<String>,
    #[serde(default)]
    second_factor_acr: Vec<String>,
}

/// Whether `url` may be used: https, or http to this machine only (a
/// provider on loopback, as in tests).
pub(crate) fn acceptable_url(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Ipv4(a)) => a.is_loopback(),
            Some(url::Host::Ipv6(a)) => a.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        },
        _ => false,
    }
}

fn read(path: &Path) -> Result<Vec<u8>, SsoConfigError> {
    std::fs::read(path).map_err(|source| SsoConfigError::Io {
        path: path.to_path_buf(),
        source,
    })
}

impl SsoConfig {
    /// Reads and checks the file; `secret_env` (VINK_SSO_CLIENT_SECRET)
    /// wins over the file's secret.
    pub fn load(path: &Path, secret_env: Option<String>) -> Result<SsoConfig, SsoConfigError> {
        let text = String::from_utf8(read(path)?).map_err(|_| bad("the file is not UTF-8"))?;
        Self::parse(&text, secret_env, path.parent())
    }

    /// Checks settings given as text; relative file names are read from
    /// `dir`.
    pub fn parse(
        text: &str,
        secret_env: Option<String>,
        dir: Option<&Path>,
    ) -> Result<SsoConfig, SsoConfigError> {
        let f: File = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let at = |p: &Path| match dir {
            Some(d) if p.is_relative() => d.join(p),
            _ => p.to_path_buf(),
        };
        let issuer = Url::parse(&f.issuer).map_err(|e| bad(format!("issuer: {e}")))?;
        if !acceptable_url(&issuer) {
            return Err(bad(
                "issuer: must be https (plain http only on this machine's loopback)",
            ));
        }
        let redirect =
            Url::parse(&f.redirect_uri).map_err(|e| bad(format!("redirect_uri: {e}")))?;
        if !matches!(redirect.scheme(), "https" | "http") || redirect.path() != CALLBACK_PATH {
            return Err(bad(format!(
                "redirect_uri: must be vink's own address ending in {CALLBACK_PATH}"
            )));
        }
        let client_secret = match (
            secret_env.filter(|s| !s.trim().is_empty()),
            f.client_secret,
            f.client_secret_file,
        ) {
            (Some(s), _, _) | (None, Some(s), None) => s,
            (None, None, Some(p)) => String::from_utf8(read(&at(&p))?)
                .map_err(|_| bad("client_secret_file is not UTF-8"))?,
            (None, Some(_), Some(_)) => {
                return Err(bad("give client_secret or client_secret_file, not both"));
            }
            (None, None, None) => {
                return Err(bad(
                    "no client secret: client_secret_file, client_secret or VINK_SSO_CLIENT_SECRET",
                ));
            }
        };
        let client_secret = client_secret.trim().to_string();
        let post_logout_redirect_uri = match f.post_logout_redirect_uri {
            Some(u) => {
                let parsed =
                    Url::parse(&u).map_err(|e| bad(format!("post_logout_redirect_uri: {e}")))?;
                if !matches!(parsed.scheme(), "https" | "http") {
                    return Err(bad("post_logout_redirect_uri: must be http(s)"));
                }
                u
            }
            None => {
                let mut u = redirect.clone();
                u.set_path("/login");
                u.set_query(None);
                u.to_string()
            }
        };
        if client_secret.is_empty() || f.client_id.trim().is_empty() {
            return Err(bad("client_id and the client secret must not be empty"));
        }
        let client_auth = match f.token_endpoint_auth.as_deref() {
            None | Some("client_secret_basic") => ClientAuth::Basic,
            Some("client_secret_post") => ClientAuth::Post,
            Some(o) => {
                return Err(bad(format!(
                    "token_endpoint_auth: {o} (client_secret_basic or client_secret_post)"
                )));
            }
        };
        let mut scopes = vec!["openid".to_string()];
        for s in f.scopes {
            if s.is_empty() || s.contains(char::is_whitespace) {
                return Err(bad(format!("scopes: {s:?} is not a scope")));
            }
            if !scopes.contains(&s) {
                scopes.push(s);
            }
        }
        let mut roles = BTreeMap::new();
        for (value, code) in f.roles {
            let role = Role::parse(&code).ok_or_else(|| {
                bad(format!(
                    "roles: {value} = {code}: the role must be one of {}",
                    Role::codes()
                ))
            })?;
            roles.insert(value, role);
        }
        let d = ClaimMap::default();
        let c = f.claims;
        let claims = ClaimMap {
            username: c.username.unwrap_or(d.username),
            name: c.name.unwrap_or(d.name),
            email: c.email.unwrap_or(d.email),
            role: c.role.unwrap_or(d.role),
            roles,
            agency: c.agency.unwrap_or(d.agency),
            agencies: f.agencies,
            second_factor_amr: c.second_factor_amr,
            second_factor_acr: c.second_factor_acr,
        };
        let ca_pem = match f.ca_file {
            Some(p) => Some(read(&at(&p))?),
            None => None,
        };
        let mut issuer_text = f.issuer;
        // The provider's own spelling is compared exactly; only a lone
        // trailing slash from the settings is forgiven.
        if issuer_text.ends_with('/') && issuer.path() == "/" {
            issuer_text.pop();
        }
        Ok(SsoConfig {
            issuer: issuer_text,
            client_id: f.client_id.trim().to_string(),
            client_secret,
            redirect_uri: f.redirect_uri,
            post_logout_redirect_uri,
            logout_at_provider: f.logout_at_provider.unwrap_or(true),
            display_name: f
                .display_name
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| issuer.host_str().unwrap_or("OpenID Connect").to_string()),
            scopes,
            client_auth,
            ca_pem,
            claims,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
issuer = "https://login.example.dk"
client_id = "vink"
client_secret = "s3cret"
redirect_uri = "https://vink.example.dk/login/sso/callback"
"#;

    #[test]
    fn a_minimal_file_gives_defaults() {
        let c = SsoConfig::parse(BASE, None, None).unwrap();
        assert_eq!(c.scopes, vec!["openid".to_string()]);
        assert_eq!(c.client_auth, ClientAuth::Basic);
        assert_eq!(c.display_name, "login.example.dk");
        assert_eq!(c.post_logout_redirect_uri, "https://vink.example.dk/login");
        assert!(c.logout_at_provider);
        assert!(c.claims.roles.is_empty());
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn the_environment_secret_wins() {
        let c = SsoConfig::parse(BASE, Some("from-env".into()), None).unwrap();
        assert_eq!(c.client_secret, "from-env");
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            (BASE.replace("https://login", "http://login"), "issuer"),
            (BASE.replace("/login/sso/callback", "/cb"), "redirect_uri"),
            (
                BASE.replace("client_secret = \"s3cret\"", ""),
                "no client secret",
            ),
            (format!("{BASE}\n[roles]\nX = \"boss\""), "roles: X = boss"),
            (format!("{BASE}\nsurprise = 1"), "unknown field"),
            (
                format!("{BASE}\ntoken_endpoint_auth = \"private_key_jwt\""),
                "token_endpoint_auth",
            ),
        ];
        for (text, says) in cases {
            let e = SsoConfig::parse(&text, None, None).unwrap_err().to_string();
            assert!(e.contains(says), "{says}: {e}");
        }
    }

    #[test]
    fn loopback_http_is_allowed_for_a_local_provider() {
        let t = BASE.replace("https://login.example.dk", "http://127.0.0.1:9999");
        assert!(SsoConfig::parse(&t, None, None).is_ok());
        for (u, ok) in [
            ("http://[::1]:80/x", true),
            ("http://localhost/", true),
            ("http://10.0.0.1/", false),
            ("ftp://127.0.0.1/", false),
        ] {
            assert_eq!(acceptable_url(&Url::parse(u).unwrap()), ok, "{u}");
        }
    }
}
