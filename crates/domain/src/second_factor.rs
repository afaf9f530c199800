//! Two-factor log-in: time-based codes from an authenticator app (RFC 6238:
//! HMAC-SHA-1, six digits, 30-second steps, one step of clock drift either
//! way, each step accepted once) and one-time recovery codes. Pure: the
//! caller brings the time and the random bytes.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Bytes in a new authenticator secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Random bytes in one recovery code (64 bits).
pub const RECOVERY_BYTES: usize = 8;

/// What a code given at log-in was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right, for this time step (store it: no code of this step or an
    /// earlier one is accepted again).
    Accepted(i64),
    /// Right, but its step (or a later one) was used already: a replay.
    Reused,
    Wrong,
}

fn totp(secret: &[u8]) -> Option<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret.to_vec())
        .build()
        .ok()
}

/// Checks a six-digit code (spaces ignored) at `unix_seconds`, given the
/// last step accepted for this secret.
pub fn check_code(secret: &[u8], code: &str, unix_seconds: i64, last_step: i64) -> CodeCheck {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return CodeCheck::Wrong;
    }
    let (Some(t), Ok(now)) = (totp(secret), u64::try_from(unix_seconds)) else {
        return CodeCheck::Wrong;
    };
    match t.check(&code, now) {
        Some(step) => match i64::try_from(step) {
            Ok(step) if step > last_step => CodeCheck::Accepted(step),
            _ => CodeCheck::Reused,
        },
        None => CodeCheck::Wrong,
    }
}

/// The code an authenticator shows at `unix_seconds` (for tests and for
/// checking an enrolment end to end).
pub fn code_at(secret: &[u8], unix_seconds: i64) -> Option<String> {
    let t = totp(secret)?;
    Some(t.generate(u64::try_from(unix_seconds).ok()?).to_string())
}

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Reads RFC 4648 base32 (spaces ignored, no padding); none if it is not.
pub fn from_base32(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b' ') {
        let v = match c.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The secret as a person types it: base32 in groups of four.
pub fn grouped(secret: &[u8]) -> String {
    base32(secret)
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn uri_part(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The `otpauth://` address the QR code carries (Key Uri Format).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        uri_part(issuer),
        uri_part(account),
        base32(secret),
        uri_part(issuer)
    )
}

/// A recovery code from random bytes: `3f9a-b27c-0d1e-55aa`.
pub fn recovery_code(bytes: &[u8; RECOVERY_BYTES]) -> String {
    hex::encode(bytes)
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed recovery code in its one form (case, spaces and dashes
/// ignored), or none if it cannot be one.
pub fn normalise_recovery_code(typed: &str) -> Option<String> {
    let s: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (s.len() == RECOVERY_BYTES * 2 && s.chars().all(|c| c.is_ascii_hexdigit())).then_some(s)
}

/// How a recovery code is stored: SHA-256 over the user's id and the code
/// (64 random bits each, so no slow hash is needed against guessing).
pub fn recovery_hash(user_id: Uuid, normalised: &str) -> String {
    let mut h = Sha256::new();
    h.update(user_id.as_bytes());
    h.update(normalised.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238, appendix B: the SHA-1 test secret and vectors (8 digits
    // there; the last six of each are the six-digit code).
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_the_rfc_vectors() {
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(RFC_SECRET, t).as_deref(), Some(code), "t={t}");
            assert!(matches!(
                check_code(RFC_SECRET, code, t, 0),
                CodeCheck::Accepted(_)
            ));
        }
    }

    #[test]
    fn a_code_is_accepted_once_and_one_step_of_drift_either_way() {
        let t = 1_234_567_890;
        let code = code_at(RFC_SECRET, t).unwrap_or_default();
        let CodeCheck::Accepted(step) = check_code(RFC_SECRET, &code, t, 0) else {
            panic!("the current code is accepted");
        };
        assert_eq!(step, t / 30);
        assert_eq!(check_code(RFC_SECRET, &code, t, step), CodeCheck::Reused);
        assert_eq!(
            check_code(RFC_SECRET, &code, t + 10, step),
            CodeCheck::Reused
        );
        // A clock 30 s behind or ahead still works; 90 s does not.
        assert!(matches!(
            check_code(RFC_SECRET, &code, t + 30, 0),
            CodeCheck::Accepted(_)
        ));
        assert!(matches!(
            check_code(RFC_SECRET, &code, t - 30, 0),
            CodeCheck::Accepted(_)
        ));
        assert_eq!(check_code(RFC_SECRET, &code, t + 90, 0), CodeCheck::Wrong);
        // An older step's code after a newer one was used: refused too.
        let older = code_at(RFC_SECRET, t - 30).unwrap_or_default();
        assert_eq!(check_code(RFC_SECRET, &older, t, step), CodeCheck::Reused);
    }

    #[test]
    fn malformed_codes_are_wrong() {
        for c in ["", "12345", "1234567", "abcdef", "12 34 5x"] {
            assert_eq!(check_code(RFC_SECRET, c, 59, 0), CodeCheck::Wrong, "{c}");
        }
        assert!(matches!(
            check_code(RFC_SECRET, "287 082", 59, 0),
            CodeCheck::Accepted(_)
        ));
    }

    #[test]
    fn base32_follows_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(grouped(b"foobar"), "MZXW 6YTB OI");
        assert_eq!(from_base32("MZXW 6YTB OI").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(
            from_base32(&base32(RFC_SECRET)).as_deref(),
            Some(RFC_SECRET)
        );
        assert_eq!(from_base32("MZ1"), None);
    }

    #[test]
    fn the_uri_names_issuer_and_account_encoded() {
        let u = otpauth_uri("vink København", "anna", b"foobar");
        assert_eq!(
            u,
            "otpauth://totp/vink%20K%C3%B8benhavn:anna?secret=MZXW6YTBOI&issuer=vink%20K%C3%B8benhavn&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_normalise_and_hash_per_user() {
        let code = recovery_code(&[0x3f, 0x9a, 0xb2, 0x7c, 0x0d, 0x1e, 0x55, 0xaa]);
        assert_eq!(code, "3f9a-b27c-0d1e-55aa");
        let n = normalise_recovery_code(" 3F9A B27C-0d1e55aa ");
        assert_eq!(n.as_deref(), Some("3f9ab27c0d1e55aa"));
        assert_eq!(normalise_recovery_code("3f9a-b27c"), None);
        assert_eq!(normalise_recovery_code("3f9a-b27c-0d1e-55ag"), None);
        let a = recovery_hash(Uuid::from_u128(1), "3f9ab27c0d1e55aa");
        let b = recovery_hash(Uuid::from_u128(2), "3f9ab27c0d1e55aa");
        assert_ne!(a, b);
    }
}
