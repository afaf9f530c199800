//! The corps: list, profile, new members and training attendance.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use vink_app::AppError;

use super::{
    Errors, FormData, Page, app_error, checked, csrf_failed, error_page, parse_id, render,
};
use crate::AppState;
use crate::auth::{UiLang, UiUser};
use crate::i18n::Tr;
use vink_app::corps::{CorpsMemberView, CorpsProfile};

use super::course::{nonblank, options};
use vink_domain::policy::{Action, Resource, decide};

#[derive(Template)]
#[template(path = "corps.html")]
struct CorpsPage {
    p: Page,
    members: Vec<CorpsMemberView>,
    /// The list's filters, as given in the address.
    q: CorpsFilters,
    languages: Vec<String>,
    can_manage: bool,
    e: Errors,
    f: FormData,
    kinds: Vec<(String, String)>,
    programmes: Vec<(String, String)>,
}

/// The corps list's filters: kind, a language spoken, free capacity only.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CorpsFilters {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    free: String,
    /// `name` (default) or `free` (most free capacity first).
    #[serde(default)]
    sort: String,
}

impl CorpsFilters {
    /// This list's address sorted by `sort`, the filters kept.
    fn sorted_by(&self, sort: &str) -> String {
        let q = serde_urlencoded::to_string([
            ("kind", self.kind.as_str()),
            ("language", self.language.as_str()),
            ("free", self.free.as_str()),
            ("sort", sort),
        ])
        .unwrap_or_default();
        format!("/corps?{q}")
    }

    fn keeps(&self, m: &CorpsMemberView) -> bool {
        (self.kind.is_empty() || m.kind == self.kind)
            && (self.language.is_empty()
                || m.languages
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(&self.language)))
            && (self.free.is_empty() || m.free_capacity > 0)
    }
}

async fn corps_page(
    s: &AppState,
    t: Tr,
    user: &UiUser,
    (f, q): (FormData, CorpsFilters),
    e: Errors,
    status: StatusCode,
) -> Response {
    match vink_app::corps::list(&s.app, &user.session.actor, None).await {
        Ok(all) => render(
            status,
            &CorpsPage {
                p: Page::new(t, "corps.title", Some(&user.session)).checked_by(&e),
                languages: {
                    let mut l: Vec<String> = all.iter().flat_map(|m| m.languages.clone()).collect();
                    l.sort();
                    l.dedup();
                    l
                },
                members: {
                    let mut m: Vec<CorpsMemberView> =
                        all.into_iter().filter(|m| q.keeps(m)).collect();
                    if q.sort == "free" {
                        m.sort_by_key(|m| std::cmp::Reverse(m.free_capacity));
                    }
                    m
                },
                q,
                can_manage: decide(&user.session.actor, Action::CorpsManage, &Resource::None)
                    .is_allowed(),
                kinds: options(&t, "corps_kind", &["mentor", "parent_coach"]),
                programmes: options(
                    &t,
                    "programme",
                    &vink_domain::course::CourseKind::ALL
                        .iter()
                        .map(|k| k.code())
                        .collect::<Vec<_>>(),
                ),
                e,
                f,
            },
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn corps(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    axum::extract::Query(q): axum::extract::Query<CorpsFilters>,
) -> Response {
    corps_page(
        &s,
        t,
        &user,
        (FormData(Vec::new()), q),
        Errors::none(t),
        StatusCode::OK,
    )
    .await
}

fn list_field(f: &FormData, k: &str) -> Vec<String> {
    f.get(k)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

pub async fn create_member(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    f: FormData,
) -> Response {
    if !f.csrf_ok(&user.session) {
        return csrf_failed(t, &user.session);
    }
    let input = vink_app::corps::CorpsMemberInput {
        name: nonblank(&f, "name"),
        kind: nonblank(&f, "kind"),
        username: nonblank(&f, "username"),
        languages: list_field(&f, "languages"),
        // Ticked boxes, one value each (older clients: one comma list).
        specialties: f
            .all("specialties")
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect(),
        districts: list_field(&f, "districts"),
        max_caseload: nonblank(&f, "max_caseload").map(|m| m.trim().parse().unwrap_or(-1)),
    };
    match vink_app::corps::create(&s.app, &user.session.actor, &input).await {
        Ok(id) => {
            super::flash::redirect(s.secure_cookies, &format!("/corps/{id}"), "corps_created")
        }
        Err(AppError::Invalid(errs)) => {
            corps_page(
                &s,
                t,
                &user,
                (f, CorpsFilters::default()),
                Errors::of(t, errs),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

pub async fn add_training(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
    f: FormData,
) -> Response {
    let id = match checked(t, &user, &f, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let input = vink_app::corps::TrainingInput {
        kind: nonblank(&f, "kind"),
        title: nonblank(&f, "title"),
        on: nonblank(&f, "on"),
    };
    match vink_app::corps::add_training(&s.app, &user.session.actor, id, &input).await {
        Ok(()) => {
            super::flash::redirect(s.secure_cookies, &format!("/corps/{id}"), "corps_training")
        }
        Err(AppError::Invalid(_)) => error_page(
            t,
            Some(&user.session),
            StatusCode::UNPROCESSABLE_ENTITY,
            "error.invalid",
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

#[derive(Template)]
#[template(path = "corps_member.html")]
struct MemberPage {
    p: Page,
    m: CorpsProfile,
    can_manage: bool,
}

pub async fn member(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(t, &user, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match vink_app::corps::get(&s.app, &user.session.actor, id).await {
        Ok(m) => render(
            StatusCode::OK,
            &MemberPage {
                p: Page::new(t, "corps.member_title", Some(&user.session)),
                m,
                can_manage: decide(&user.session.actor, Action::CorpsManage, &Resource::None)
                    .is_allowed(),
            },
        ),
        Err(e) => app_error(t, Some(&user.session), e),
    }
}
