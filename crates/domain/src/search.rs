//! The search box: what a typed query means, and the folded name tokens that
//! let a name be found by any part without reading every person.
//!
//! One query is one of three things, decided here and nowhere else: a case
//! number (`K-2026-0042`, also without the `K-`), a birth date in any form
//! [`crate::validation::parse_date`] reads, or name words. A name word matches
//! the start of any part of a person's name after [`fold`], so `sør` finds
//! `Søren`, `Soeren`-spellings find nothing they should not, and `aa` and `å`
//! are one letter as in Danish collation.

use jiff::civil::Date;

use crate::validation::FieldErrors;

/// The shortest name word searched: one letter would match a tenth of a nation.
pub const MIN_WORD: usize = 2;
/// The most name words in one query.
pub const MAX_WORDS: usize = 4;
/// The longest query accepted.
pub const MAX_LEN: usize = 100;

/// A parsed search query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchQuery {
    /// An exact case number, normalised to `K-YYYY-NNNN`.
    CaseNumber(String),
    /// A birth date, as stored (`YYYY-MM-DD`).
    Birth(Date),
    /// Name words; each must start some part of the name.
    Name(Vec<Word>),
}

/// One typed name word as the token prefixes it may stand for: usually one,
/// two when it ends in `a` (`Ha` is the start of `Haarder`, folded `hårder`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub prefixes: Vec<String>,
}

impl Word {
    fn of(folded: String) -> Word {
        let mut prefixes = vec![folded.clone()];
        if let Some(stem) = folded.strip_suffix('a') {
            prefixes.push(format!("{stem}å"));
        }
        Word { prefixes }
    }
}

impl SearchQuery {
    /// Reads what a user typed. Errors name the field `q`.
    pub fn parse(raw: &str) -> Result<SearchQuery, FieldErrors> {
        let mut errs = FieldErrors::new();
        let s = raw.trim();
        if s.is_empty() {
            errs.add(
                "q",
                "required",
                "type a case number, a name or a birth date",
            );
            return Err(errs);
        }
        if s.chars().count() > MAX_LEN || crate::validation::has_control(s) {
            errs.add("q", "too_long", format!("at most {MAX_LEN} characters"));
            return Err(errs);
        }
        if let Some(n) = case_number(s) {
            return Ok(SearchQuery::CaseNumber(n));
        }
        if s.starts_with(|c: char| c.is_ascii_digit()) {
            return match crate::validation::parse_date(s) {
                Some(d) => Ok(SearchQuery::Birth(d)),
                None => {
                    errs.add(
                        "q",
                        "invalid_search",
                        "a birth date as dd.mm.yyyy or a case number as K-2026-0042",
                    );
                    Err(errs)
                }
            };
        }
        let words: Vec<String> = name_tokens(s)
            .into_iter()
            .filter(|w| w.chars().count() >= MIN_WORD)
            .collect();
        if words.is_empty() {
            errs.add(
                "q",
                "too_short",
                format!("type at least {MIN_WORD} letters of a name"),
            );
            return Err(errs);
        }
        let mut words = words;
        // The longest word first: it narrows the index range most.
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        words.dedup();
        words.truncate(MAX_WORDS);
        Ok(SearchQuery::Name(words.into_iter().map(Word::of).collect()))
    }
}

/// `K-2026-0042`, `k-2026-42` or `2026-0042` as the stored case number.
fn case_number(s: &str) -> Option<String> {
    let rest = s
        .strip_prefix('K')
        .or_else(|| s.strip_prefix('k'))
        .map(|r| r.strip_prefix('-').unwrap_or(r))
        .unwrap_or(s);
    let (year, seq) = rest.split_once('-')?;
    let digits = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
    if year.len() != 4 || !digits(year) || !digits(seq) || seq.len() > 9 {
        return None;
    }
    let year: i16 = year.parse().ok()?;
    let seq: i64 = seq.parse().ok()?;
    Some(crate::concern::case_number(year, seq))
}

/// A name folded for comparison: lower case, accents dropped, and the Danish
/// letters kept as letters of their own with their equivalents (`aa` = `å`,
/// `ä` = `æ`, `ö` = `ø`), so `Aabenraa`, `Åbenrå` and `ÅBENRÅ` are one word.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'æ' | 'ä' => out.push('æ'),
            'ø' | 'ö' | 'ő' => out.push('ø'),
            'å' => out.push('å'),
            'à' | 'á' | 'â' | 'ã' | 'ā' | 'ă' | 'ą' => out.push('a'),
            'ç' | 'ć' | 'č' => out.push('c'),
            'ď' | 'đ' => out.push('d'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => out.push('i'),
            'ł' => out.push('l'),
            'ñ' | 'ń' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ō' => out.push('o'),
            'ř' => out.push('r'),
            'ś' | 'š' | 'ş' => out.push('s'),
            'ß' => out.push_str("ss"),
            'ť' | 'ţ' => out.push('t'),
            'ù' | 'ú' | 'û' | 'ū' | 'ů' => out.push('u'),
            'ü' | 'ű' => out.push('y'),
            'ý' | 'ÿ' => out.push('y'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            c => out.push(c),
        }
    }
    out.replace("aa", "å")
}

/// The folded words of a name (split at spaces, hyphens and apostrophes), each
/// once: what the search index holds for a person.
pub fn name_tokens(name: &str) -> Vec<String> {
    let mut words: Vec<String> = name
        .split(|c: char| c.is_whitespace() || matches!(c, '-' | '\'' | '’' | ',' | '.'))
        .filter(|w| !w.is_empty())
        .map(fold)
        .filter(|w| !w.is_empty())
        .collect();
    words.sort();
    words.dedup();
    words
}

/// The exclusive upper bound of the words that start with `prefix`, for an
/// index range `token >= prefix AND token < upper`.
pub fn prefix_upper(prefix: &str) -> String {
    let mut s = prefix.to_string();
    s.push(char::MAX);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn danish_letters_fold_to_themselves_and_their_equivalents() {
        assert_eq!(fold("Søren ÆBLE Åse"), "søren æble åse");
        assert_eq!(fold("Aabenraa"), fold("Åbenrå"));
        assert_eq!(fold("Björn"), fold("Bjørn"));
        assert_eq!(fold("Mäkinen"), fold("Mækinen"));
        assert_eq!(fold("José"), "jose");
        assert_ne!(fold("Søren"), fold("Soren"));
    }

    #[test]
    fn tokens_split_names_into_parts() {
        assert_eq!(
            name_tokens("Anne-Marie  Østergård Hansen"),
            vec!["anne", "hansen", "marie", "østergård"]
        );
        assert!(name_tokens("  ").is_empty());
    }

    #[test]
    fn case_numbers_in_the_forms_people_type() {
        for s in ["K-2026-0042", "k-2026-42", "2026-0042", " K2026-0042 "] {
            assert_eq!(
                SearchQuery::parse(s),
                Ok(SearchQuery::CaseNumber("K-2026-0042".into())),
                "{s}"
            );
        }
    }

    #[test]
    fn birth_dates_in_danish_and_iso_forms() {
        let d = Date::new(2009, 4, 5).unwrap_or_default();
        for s in ["05.04.2009", "5/4-2009", "2009-04-05", "5.4.2009"] {
            assert_eq!(SearchQuery::parse(s), Ok(SearchQuery::Birth(d)), "{s}");
        }
        assert!(SearchQuery::parse("31.02.2009").is_err());
    }

    #[test]
    fn names_become_folded_words_longest_first() {
        let words = |q: &str| match SearchQuery::parse(q) {
            Ok(SearchQuery::Name(w)) => w.into_iter().map(|w| w.prefixes).collect(),
            _ => Vec::new(),
        };
        assert_eq!(words("ali HANSÉN"), vec![vec!["hansen"], vec!["ali"]]);
        assert_eq!(words("Aase"), vec![vec!["åse"]]);
        assert_eq!(words("Ha"), vec![vec!["ha", "hå"]]);
        // One-letter words are dropped; nothing left is an error.
        assert!(SearchQuery::parse("a").is_err());
        assert!(SearchQuery::parse("   ").is_err());
        assert!(SearchQuery::parse(&"x".repeat(101)).is_err());
    }

    proptest! {
        #[test]
        fn a_query_word_always_finds_the_name_it_was_cut_from(name in "[A-Za-zÆØÅæøåéüö]{2,12}( [A-Za-zÆØÅæøåéüö]{2,12}){0,2}", cut in 2usize..6) {
            let tokens = name_tokens(&name);
            let first: String = name.split(' ').next().unwrap_or_default().chars().take(cut).collect();
            if let Ok(SearchQuery::Name(words)) = SearchQuery::parse(&first) {
                for w in words {
                    let found = w.prefixes.iter().any(|p| {
                        let upper = prefix_upper(p);
                        tokens.iter().any(|t| t.as_str() >= p.as_str() && t.as_str() < upper.as_str())
                    });
                    prop_assert!(found, "{w:?} in {tokens:?}");
                }
            }
        }
    }
}
