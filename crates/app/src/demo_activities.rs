//! The demo's activities: two years of presentations, theme days, dialogue
//! activities, workshops and citizen-forum meetings with realistic
//! participant counts (the 2016-17 key figures' proportions), about 20
//! fictitious organisations, most of them in the citizen forum, and
//! capacity-building engagements. Written through the store in the demo's
//! transaction; the demo counts their facts with everything else.

use jiff::ToSpan;
use jiff::civil::Date;
use uuid::Uuid;
use vink_domain::activity::{ActivityKind, FocusArea, TargetGroup};
use vink_domain::organisation::OrganisationKind;
use vink_store::activity::{self as store, ActivityParts, ActivityRow};
use vink_store::organisation::{self as org_store, EngagementRow, OrganisationRow};
use vink_store::{Authorized, micros};

use crate::demo::Rng;
use crate::{AppError, Result};

const ORGANISATIONS: &[(&str, OrganisationKind)] = &[
    (
        "Foreningen Fælles Gård (fiktiv)",
        OrganisationKind::Association,
    ),
    (
        "Ungdomsklubben Broen (fiktiv)",
        OrganisationKind::Association,
    ),
    (
        "Kvindenetværket Nord (fiktiv)",
        OrganisationKind::Association,
    ),
    (
        "Forældreforeningen Trygge Rammer (fiktiv)",
        OrganisationKind::Association,
    ),
    (
        "Idrætsforeningen Samspil (fiktiv)",
        OrganisationKind::Association,
    ),
    (
        "Moskéforeningen Eksempel (fiktiv)",
        OrganisationKind::FaithCommunity,
    ),
    (
        "Trossamfundet Dialog (fiktiv)",
        OrganisationKind::FaithCommunity,
    ),
    (
        "Kirkens Ungdomsarbejde Prøve (fiktiv)",
        OrganisationKind::FaithCommunity,
    ),
    ("Skolen ved Søerne (fiktiv)", OrganisationKind::School),
    ("Friskolen Opdigtet (fiktiv)", OrganisationKind::School),
    ("Gymnasiet Demo (fiktiv)", OrganisationKind::School),
    (
        "Boligforeningen Eksempelparken (fiktiv)",
        OrganisationKind::HousingAssociation,
    ),
    (
        "Boligselskabet Testbyen (fiktiv)",
        OrganisationKind::HousingAssociation,
    ),
    ("Netværk mod Hadtale (fiktiv)", OrganisationKind::Ngo),
    (
        "Dialogforeningen Fortællinger (fiktiv)",
        OrganisationKind::Ngo,
    ),
    ("Unge for Demokrati (fiktiv)", OrganisationKind::Ngo),
    (
        "Bydelshuset Prøvevej (fiktiv)",
        OrganisationKind::PublicInstitution,
    ),
    (
        "Fritidscentret Demo (fiktiv)",
        OrganisationKind::PublicInstitution,
    ),
    (
        "Biblioteket Eksempel (fiktiv)",
        OrganisationKind::PublicInstitution,
    ),
    (
        "Nationalt Videnscenter Fiktiv",
        OrganisationKind::NationalPartner,
    ),
];

const DISTRICTS: &[&str] = &[
    "Nørrebro",
    "Bispebjerg",
    "Amager Øst",
    "Valby",
    "Vesterbro",
    "Brønshøj-Husum",
];

/// One kind's yearly rhythm: how many a year, its focus area, title, and
/// the target groups with a typical count range.
struct Plan {
    kind: ActivityKind,
    per_year: u64,
    focus: FocusArea,
    title: &'static str,
    groups: &'static [(TargetGroup, u64, u64)],
}

const PLANS: &[Plan] = &[
    Plan {
        kind: ActivityKind::Presentation,
        per_year: 30,
        focus: FocusArea::FrontLine,
        title: "Vidensoplæg om radikalisering for frontpersonale",
        groups: &[(TargetGroup::FrontLineStaff, 15, 60)],
    },
    Plan {
        kind: ActivityKind::Presentation,
        per_year: 5,
        focus: FocusArea::FrontLine,
        title: "Oplæg for forældre",
        groups: &[(TargetGroup::Parents, 8, 25)],
    },
    Plan {
        kind: ActivityKind::Presentation,
        per_year: 5,
        focus: FocusArea::FrontLine,
        title: "Oplæg om demokratiske rettigheder for elever",
        groups: &[(TargetGroup::Pupils, 15, 40)],
    },
    Plan {
        kind: ActivityKind::ThemeDay,
        per_year: 4,
        focus: FocusArea::FrontLine,
        title: "Temadag for mentorer og forældrecoaches",
        groups: &[(TargetGroup::Corps, 10, 30)],
    },
    Plan {
        kind: ActivityKind::NetworkMeeting,
        per_year: 6,
        focus: FocusArea::FrontLine,
        title: "Netværksmøde i korpset",
        groups: &[(TargetGroup::Corps, 6, 18)],
    },
    Plan {
        kind: ActivityKind::Advisory,
        per_year: 4,
        focus: FocusArea::FrontLine,
        title: "Rådgivning af en institution",
        groups: &[(TargetGroup::FrontLineStaff, 3, 12)],
    },
    Plan {
        kind: ActivityKind::CitizenForum,
        per_year: 3,
        focus: FocusArea::CivilSociety,
        title: "Møde i medborgerforum",
        groups: &[
            (TargetGroup::Organisations, 10, 20),
            (TargetGroup::Citizens, 0, 8),
        ],
    },
    Plan {
        kind: ActivityKind::Dialogue,
        per_year: 3,
        focus: FocusArea::CivilSociety,
        title: "Dialogaktivitet i bydelen",
        groups: &[
            (TargetGroup::LocalProfessionals, 6, 15),
            (TargetGroup::WomensNetworks, 5, 14),
        ],
    },
    Plan {
        kind: ActivityKind::YouthDialogue,
        per_year: 10,
        focus: FocusArea::CivilSociety,
        title: "Ung-til-ung-dialog",
        groups: &[(TargetGroup::YoungPeople, 12, 30)],
    },
    Plan {
        kind: ActivityKind::Workshop,
        per_year: 4,
        focus: FocusArea::CivilSociety,
        title: "Workshop om online propaganda og hadtale",
        groups: &[(TargetGroup::YoungPeople, 10, 25)],
    },
    Plan {
        kind: ActivityKind::ParentCourse,
        per_year: 2,
        focus: FocusArea::CivilSociety,
        title: "Kursus for forældre og pårørende",
        groups: &[(TargetGroup::Parents, 6, 14)],
    },
];

/// How much history: the demo's two years at the seed's pace, or the
/// national data set's many years at many times that.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub years: u64,
    /// Activities a year, as a multiple of the 2016-17 pace (about 76).
    pub factor: u64,
    /// Copies of the organisation list (20 each).
    pub organisation_sets: usize,
}

pub(crate) const DEMO: Scale = Scale {
    years: 2,
    factor: 1,
    organisation_sets: 1,
};

/// Loads the demo's organisations, forum and activities; answers how many
/// activities and organisations were made.
pub(crate) async fn load(
    tx: &mut Authorized,
    rng: &mut Rng,
    today: Date,
    secretariat: Uuid,
) -> Result<(usize, usize)> {
    load_scaled(tx, rng, (today, secretariat), DEMO).await
}

/// [`load`] at any scale.
pub(crate) async fn load_scaled(
    tx: &mut Authorized,
    rng: &mut Rng,
    (today, secretariat): (Date, Uuid),
    scale: Scale,
) -> Result<(usize, usize)> {
    let span_days = i64::try_from(scale.years * 365).unwrap_or(730);
    let now = micros(tx.at());
    let vink = vink_store::organisation::agency_by_code(tx, "vink")
        .await?
        .ok_or_else(|| AppError::Internal("agency vink missing".into()))?;
    let day = |n: i64| today.checked_sub(n.days()).unwrap_or(today);
    let mut orgs = Vec::new();
    let sets = (0..scale.organisation_sets).flat_map(|set| {
        ORGANISATIONS
            .iter()
            .enumerate()
            .map(move |(i, o)| (set, i, o))
    });
    for (set, i, (name, kind)) in sets {
        let id = vink_domain::new_id();
        let name = if set == 0 {
            (*name).to_string()
        } else {
            format!("{name} {}", set + 1)
        };
        org_store::insert_organisation(
            tx,
            &OrganisationRow {
                id,
                name,
                kind: kind.code().into(),
                district: Some((*rng.pick(DISTRICTS)).into()),
                cvr: None,
                created_at: now,
            },
        )
        .await?;
        // Most joined the forum when it began, two years ago; a few later,
        // and two have left.
        if i < 17 {
            let from = day(730 - 30 * i64::try_from(i / 6).unwrap_or(0));
            let to = (i == 3 || i == 9).then(|| day(200).to_string());
            org_store::set_forum_membership(tx, id, &from.to_string(), to.as_deref()).await?;
        }
        orgs.push((id, *kind));
    }
    // Capacity building with five institutions (the 2018-19 target).
    let institutions: Vec<Uuid> = orgs
        .iter()
        .filter(|(_, k)| {
            matches!(
                k,
                OrganisationKind::FaithCommunity
                    | OrganisationKind::HousingAssociation
                    | OrganisationKind::School
            )
        })
        .map(|(id, _)| *id)
        .take(5)
        .collect();
    for (i, id) in institutions.iter().enumerate() {
        let start = day(600 - 90 * i64::try_from(i).unwrap_or(0));
        org_store::insert_engagement(
            tx,
            &EngagementRow {
                id: vink_domain::new_id(),
                organisation_id: *id,
                from_on: start.to_string(),
                to_on: (i % 2 == 0)
                    .then(|| start.checked_add(120.days()).unwrap_or(start).to_string()),
                note: Some("Opkvalificering af frivillige og ansatte (fiktiv)".into()),
                created_at: now,
            },
        )
        .await?;
    }
    let corps: Vec<Uuid> = vink_store::corps::members(tx)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let mut n = 0;
    for plan in PLANS {
        for _ in 0..plan.per_year * scale.years * scale.factor {
            let ago = i64::try_from(rng.below(span_days as u64)).unwrap_or(0);
            let held_on = day(ago);
            // Mostly held; now and then cancelled; a few planned ahead.
            let status = if rng.chance(6) { "cancelled" } else { "held" };
            let mut participants: Vec<(String, i64)> = plan
                .groups
                .iter()
                .map(|(g, lo, hi)| {
                    (
                        g.code().to_string(),
                        i64::try_from(lo + rng.below(hi - lo + 1)).unwrap_or(0),
                    )
                })
                .filter(|(_, c)| *c > 0)
                .collect();
            // The corps at a theme day or network meeting are named: the
            // count is how many of them came.
            let mut attendees = Vec::new();
            if matches!(
                plan.kind,
                ActivityKind::ThemeDay | ActivityKind::NetworkMeeting
            ) && !corps.is_empty()
            {
                let want = participants.first().map(|(_, c)| *c).unwrap_or(0);
                let start = usize::try_from(rng.below(corps.len() as u64)).unwrap_or(0);
                attendees = corps
                    .iter()
                    .cycle()
                    .skip(start)
                    .take(usize::try_from(want).unwrap_or(0).min(corps.len()))
                    .copied()
                    .collect();
                let n = i64::try_from(attendees.len()).unwrap_or(0);
                participants = vec![(TargetGroup::Corps.code().into(), n)];
            }
            let partners = if plan.focus == FocusArea::CivilSociety {
                vec![rng.pick(&orgs).0]
            } else {
                Vec::new()
            };
            insert(
                tx,
                plan,
                held_on,
                status,
                (participants, partners, attendees),
                (vink.id, secretariat, now),
            )
            .await?;
            n += 1;
        }
    }
    // Two planned ahead, which count for nothing yet.
    for plan in &PLANS[..2] {
        let ahead = today.checked_add(21.days()).unwrap_or(today);
        insert(
            tx,
            plan,
            ahead,
            "planned",
            (Vec::new(), Vec::new(), Vec::new()),
            (vink.id, secretariat, now),
        )
        .await?;
        n += 1;
    }
    Ok((n, orgs.len()))
}

async fn insert(
    tx: &mut Authorized,
    plan: &Plan,
    held_on: Date,
    status: &str,
    (participants, organisations, corps_members): (Vec<(String, i64)>, Vec<Uuid>, Vec<Uuid>),
    (agency, by, now): (Uuid, Uuid, i64),
) -> Result<()> {
    let district = DISTRICTS[usize::try_from(held_on.day()).unwrap_or(0) % DISTRICTS.len()];
    store::insert_activity(
        tx,
        &ActivityRow {
            id: vink_domain::new_id(),
            kind: plan.kind.code().into(),
            held_on: held_on.to_string(),
            status: status.into(),
            title: format!("{} (fiktiv)", plan.title),
            focus_area: plan.focus.code().into(),
            prevention_level: Some("preventive".into()),
            district: Some(district.into()),
            agency_id: agency,
            created_at: now,
            created_by: Some(by),
            updated_at: now,
        },
        &ActivityParts {
            participants,
            organisations,
            corps_members,
        },
    )
    .await?;
    Ok(())
}
