//! UI text in Danish (default) and English, from `i18n/da.toml` and
//! `i18n/en.toml`. Templates ask a [`Tr`] for keys; codes from the domain
//! (statuses, decisions, channels …) are looked up as `prefix.code`.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Da,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Da => "da",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "da" => Some(Lang::Da),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

pub const DA_SOURCE: &str = include_str!("../i18n/da.toml");
pub const EN_SOURCE: &str = include_str!("../i18n/en.toml");

/// Flattens a TOML document into `a.b.c = "text"` pairs.
pub fn parse_catalog(src: &str) -> Result<HashMap<String, String>, String> {
    let table: toml::Table = toml::from_str(src).map_err(|e| e.to_string())?;
    let mut out = HashMap::new();
    flatten("", &table, &mut out)?;
    Ok(out)
}

fn flatten(prefix: &str, t: &toml::Table, out: &mut HashMap<String, String>) -> Result<(), String> {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(inner) => flatten(&key, inner, out)?,
            _ => return Err(format!("{key}: only strings and tables are allowed")),
        }
    }
    Ok(())
}

fn catalog(lang: Lang) -> &'static HashMap<String, String> {
    static DA: OnceLock<HashMap<String, String>> = OnceLock::new();
    static EN: OnceLock<HashMap<String, String>> = OnceLock::new();
    let (cell, src) = match lang {
        Lang::Da => (&DA, DA_SOURCE),
        Lang::En => (&EN, EN_SOURCE),
    };
    cell.get_or_init(|| {
        parse_catalog(src).unwrap_or_else(|e| {
            tracing::error!(error = %e, lang = lang.code(), "translation file unreadable");
            HashMap::new()
        })
    })
}

/// A translator for one language, handed to every template.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Tr { lang }
    }

    /// The text for `key`; the key itself if missing (a test keeps that from happening).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match catalog(self.lang).get(key) {
            Some(s) => s.as_str(),
            None => key,
        }
    }

    /// The label of a domain code, e.g. `code("status", "before_unit")`.
    pub fn code(&self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}.{code}");
        match catalog(self.lang).get(&key) {
            Some(s) => s.clone(),
            None => code.to_string(),
        }
    }

    /// Like [`Tr::code`] for an optional code; empty when absent.
    pub fn opt_code(&self, prefix: &str, code: &Option<String>) -> String {
        code.as_deref()
            .map(|c| self.code(prefix, c))
            .unwrap_or_default()
    }

    /// Text with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, String)]) -> String {
        let mut s = self.t(key).to_string();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// [`Tr::f`] with one placeholder, for templates.
    pub fn f1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.f(key, &[(name, value.to_string())])
    }

    /// A count in words with its grammatical number: `{key}_one` when `n` is
    /// 1 (where the catalogue has it), else `key`; `{n}` is filled in.
    pub fn count(&self, key: &str, n: impl std::borrow::Borrow<i64>) -> String {
        let n = *n.borrow();
        self.f1(&self.plural_key(key, n), "n", n)
    }

    /// `{key}_one` when `n` is 1 and the catalogue has it, else `key`.
    pub fn plural_key(&self, key: &str, n: impl std::borrow::Borrow<i64>) -> String {
        let one = format!("{key}_one");
        if *n.borrow() == 1 && catalog(self.lang).contains_key(&one) {
            one
        } else {
            key.to_string()
        }
    }

    /// [`Tr::f`] with two placeholders, for templates.
    pub fn f2(
        &self,
        key: &str,
        a: &str,
        av: impl std::fmt::Display,
        b: &str,
        bv: impl std::fmt::Display,
    ) -> String {
        self.f(key, &[(a, av.to_string()), (b, bv.to_string())])
    }

    /// The other language, for the switch in the header.
    pub fn other(&self) -> Lang {
        match self.lang {
            Lang::Da => Lang::En,
            Lang::En => Lang::Da,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::BTreeSet;

    fn keys(src: &str) -> BTreeSet<String> {
        parse_catalog(src).unwrap().into_keys().collect()
    }

    #[test]
    fn danish_and_english_have_the_same_keys() {
        let (da, en) = (keys(DA_SOURCE), keys(EN_SOURCE));
        assert!(da.len() > 200, "{}", da.len());
        let only_da: Vec<_> = da.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&da).collect();
        assert!(
            only_da.is_empty() && only_en.is_empty(),
            "da only: {only_da:?}, en only: {only_en:?}"
        );
    }

    /// Every literal key used by a template or handler exists.
    #[test]
    fn every_key_used_exists() {
        let da = keys(DA_SOURCE);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for dir in ["templates", "src", "src/ui", "src/api"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() && !path.ends_with("i18n.rs") {
                    sources.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        let mut missing = BTreeSet::new();
        let mut seen = 0;
        for src in &sources {
            for pat in [
                ".t(\"",
                "f1(\"",
                "f2(\"",
                "Page::new(t, \"",
                "\"error.",
                "\"field.",
                "\"hint.",
                "\"form.",
            ] {
                let mut rest = src.as_str();
                while let Some(i) = rest.find(pat) {
                    rest = &rest[i + pat.len()..];
                    let start = pat.strip_prefix('"').unwrap_or("");
                    let end = rest.find('"').unwrap_or(0);
                    let key = format!("{start}{}", &rest[..end]);
                    if key.contains('.')
                        && !key.ends_with('.')
                        && !key.contains(' ')
                        && !key.contains('{')
                        && !key.starts_with("error.status")
                        && key != "error.field"
                        && !key.ends_with(".html")
                    {
                        seen += 1;
                        if !da.contains(&key) {
                            missing.insert(key);
                        }
                    }
                }
            }
        }
        assert!(seen > 150, "the scan found too few keys ({seen})");
        assert!(missing.is_empty(), "missing keys: {missing:?}");
    }

    /// Every code the domain can produce has a label in both languages.
    #[test]
    fn every_domain_code_has_a_label() {
        use vink_domain::concern::{Channel, ReporterKind};
        use vink_domain::person::MinorStatus;
        use vink_domain::triage::{Decision, ProgrammeKind, Status};
        use vink_domain::user::Role;
        let mut want: Vec<String> = Vec::new();
        want.extend(Status::ALL.iter().map(|c| format!("status.{}", c.code())));
        want.extend(
            Decision::ALL
                .iter()
                .map(|c| format!("decision.{}", c.code())),
        );
        want.extend(
            ProgrammeKind::ALL
                .iter()
                .map(|c| format!("programme.{}", c.code())),
        );
        want.extend(Channel::ALL.iter().map(|c| format!("channel.{}", c.code())));
        want.extend(
            ReporterKind::ALL
                .iter()
                .map(|c| format!("reporter_kind.{}", c.code())),
        );
        want.extend(
            MinorStatus::ALL
                .iter()
                .map(|c| format!("minor.{}", c.code())),
        );
        want.extend(Role::ALL.iter().map(|c| format!("role.{}", c.code())));
        for code in [
            "required",
            "too_long",
            "unknown_value",
            "unknown_code",
            "invalid_date",
            "out_of_range",
            "in_future",
            "anonymous_with_identity",
            "too_many",
            "unknown",
        ] {
            want.push(format!("error.field.{code}"));
        }
        for status in ["400", "403", "404", "409", "413", "422", "429", "500"] {
            want.push(format!("error.status.{status}"));
        }
        for lang in [Lang::Da, Lang::En] {
            let cat = catalog(lang);
            let missing: Vec<_> = want.iter().filter(|k| !cat.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{lang:?}: {missing:?}");
        }
    }

    #[test]
    fn placeholders_are_filled() {
        let t = Tr::new(Lang::En);
        assert_eq!(t.f1("concerns.count", "n", 3), "Concerns in total: 3");
        assert_eq!(t.t("no.such.key"), "no.such.key");
        assert_eq!(t.code("status", "before_unit"), "Before the unit");
    }
}
