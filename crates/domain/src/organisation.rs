//! Civil-society organisations and local institutions the unit works with
//! (the citizen forum, capacity building, partners of activities). Their
//! contact persons are professionals; nothing here is about a person of
//! concern, and no beliefs are recorded about anyone.

use serde::Deserialize;
use utoipa::ToSchema;

use jiff::civil::Date;

use crate::fact::Fact;
use crate::validation::{
    DateRule, FieldErrors, date_field, optional_text, required_code, required_text,
};

crate::code_enum!(
    /// What kind of organisation.
    OrganisationKind {
        Association => "association",
        /// A mosque or another faith community.
        FaithCommunity => "faith_community",
        School => "school",
        HousingAssociation => "housing_association",
        Ngo => "ngo",
        PublicInstitution => "public_institution",
        NationalPartner => "national_partner",
    }
);

pub const MAX_NAME: usize = 200;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationInput {
    #[schema(required = true)]
    pub name: Option<String>,
    #[schema(required = true)]
    pub kind: Option<String>,
    pub district: Option<String>,
    /// The Danish business register number (8 digits), where it has one.
    pub cvr: Option<String>,
}

/// A validated organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub name: String,
    pub kind: OrganisationKind,
    pub district: Option<String>,
    pub cvr: Option<String>,
}

impl Organisation {
    pub fn validate(input: &OrganisationInput) -> Result<Organisation, FieldErrors> {
        let mut errs = FieldErrors::new();
        let name = required_text(&mut errs, "name", input.name.as_deref(), MAX_NAME);
        let kind = required_code(
            &mut errs,
            "kind",
            input.kind.as_deref(),
            OrganisationKind::parse,
            OrganisationKind::codes,
        );
        let district = optional_text(&mut errs, "district", input.district.as_deref(), 80);
        let cvr = optional_text(&mut errs, "cvr", input.cvr.as_deref(), 8);
        if let Some(c) = &cvr
            && (c.len() != 8 || !c.chars().all(|d| d.is_ascii_digit()))
        {
            errs.add("cvr", "invalid", "a CVR number is 8 digits");
        }
        let (Some(name), Some(kind)) = (name, kind) else {
            return Err(errs);
        };
        errs.finish(Organisation {
            name,
            kind,
            district,
            cvr,
        })
    }
}

/// A period as given (`from` required, `to` optional), for the forum and
/// capacity building.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodInput {
    /// First day (`YYYY-MM-DD` or `dd.mm.åååå`).
    #[schema(required = true)]
    pub from: Option<String>,
    /// Last day, inclusive; absent while it lasts.
    pub to: Option<String>,
    /// Capacity building: what the engagement is about (no personal data).
    pub note: Option<String>,
}

/// A validated period: from, and to when it has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: Date,
    pub to: Option<Date>,
}

impl Span {
    pub fn validate(input: &PeriodInput) -> Result<Span, FieldErrors> {
        let mut errs = FieldErrors::new();
        let rule = DateRule::default();
        let from = date_field(&mut errs, "from", input.from.as_deref(), rule, true);
        let to = date_field(&mut errs, "to", input.to.as_deref(), rule, false);
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            errs.add("to", "out_of_range", "the period ends before it begins");
        }
        let Some(from) = from else {
            return Err(errs);
        };
        errs.finish(Span { from, to })
    }

    /// A citizen-forum membership's facts: joined on `from`, left the day
    /// after `to`.
    pub fn forum_facts(&self) -> Vec<Fact> {
        let mut f = vec![Fact::forum_joined(self.from)];
        if let Some(t) = self.to {
            f.push(Fact::forum_left(t.tomorrow().unwrap_or(t)));
        }
        f
    }

    /// The facts that turn one membership into another.
    pub fn forum_change(before: Option<&Span>, after: &Span) -> Vec<Fact> {
        let old = before.map(Span::forum_facts).unwrap_or_default();
        let new = after.forum_facts();
        if old == new {
            return Vec::new();
        }
        old.iter().map(Fact::negated).chain(new).collect()
    }
}
