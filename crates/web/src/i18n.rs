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
