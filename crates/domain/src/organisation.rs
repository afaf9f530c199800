//! Civil-society organisations and local institutions the unit works with
//! (the citizen forum, capacity building, partners of activities). Their
//! contact persons are professionals; nothing here is about a person of
//! concern, and no beliefs are recorded about anyone.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::validation::{FieldErrors, optional_text, required_code, required_text};

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
