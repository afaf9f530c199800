//! The server-rendered UI. Every page gets a [`Page`] (translator, signed-in
//! user, CSRF token); every form posts back with the token and comes back with
//! the user's input and per-field errors when something is wrong.

mod activity;
mod audit;
mod concern;
mod corps;
mod course;
pub(crate) mod flash;
mod follow_up;
pub(crate) mod funding;
pub(crate) mod key_figures;
mod organisation;
pub(crate) mod plan;
mod reminder;
mod report;
mod search;
mod second_factor;
mod sso;
mod triage;
mod upload;
mod user;
mod users;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use vink_app::AppError;
use vink_app::user::Session;
use vink_domain::policy::{Action, Resource, decide};
use vink_domain::validation::FieldErrors;

use crate::AppState;
use crate::auth::{UiLang, same_secret};
use crate::i18n::Tr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(user::home))
        .route("/login", get(user::login_form).post(user::login))
        .route("/logout", post(user::logout))
        .route(
            "/login/second-factor",
            get(second_factor::code_form).post(second_factor::code_submit),
        )
        .route(
            "/account/second-factor",
            get(second_factor::enrol_form).post(second_factor::enrol_submit),
        )
        .route(
            "/login/confirm",
            get(second_factor::confirm_form).post(second_factor::confirm_submit),
        )
        .route("/login/sso", get(sso::start))
        .route("/login/sso/callback", get(sso::callback))
        .route("/login/sso/complete", get(sso::complete))
        .route("/login/sso/confirm", get(sso::confirm_start))
        .route("/users/access-requests/{id}/grant", post(sso::grant))
        .route("/users/access-requests/{id}/dismiss", post(sso::dismiss))
        .route("/lang/{code}", get(user::switch_lang))
        .route("/dashboard", get(concern::dashboard))
        .route("/concerns", get(concern::list).post(concern::create))
        .route("/concerns/new", get(concern::new_form))
        .route("/concerns/{id}", get(concern::detail))
        .route("/concerns/{id}/transition", post(triage::transition))
        .route("/concerns/{id}/pause", post(triage::pause))
        .route("/concerns/{id}/resume", post(triage::resume))
        .route("/concerns/{id}/agenda", post(triage::add_to_agenda))
        .route("/concerns/{id}/link", post(concern::link_person))
        .route("/concerns/{id}/distinct", post(concern::distinct))
        .route(
            "/meetings",
            get(triage::meetings).post(triage::create_meeting),
        )
        .route("/meetings/{id}", get(triage::meeting))
        .route("/meetings/{id}/minutes", post(triage::minutes))
        .route(
            "/meetings/{id}/agenda/{concern_id}",
            post(triage::recommend),
        )
        .route("/audit", get(audit::list))
        .route("/audit/persons", get(audit::person))
        .route(
            "/courses",
            get(course::list).post(course::create_from_concern),
        )
        .route("/courses/{id}", get(course::detail))
        .route("/courses/{id}/transition", post(course::transition))
        .route("/courses/{id}/consent", post(course::consent))
        .route(
            "/courses/{id}/consent/withdraw",
            post(course::withdraw_consent),
        )
        .route("/courses/{id}/assign", post(course::assign))
        .route("/courses/{id}/contacts", post(course::contact))
        .route("/courses/{id}/goals", post(course::goal))
        .route("/courses/{id}/assessments", post(course::assessment))
        .route("/follow-ups", get(follow_up::follow_ups))
        .route("/outcomes", get(follow_up::outcomes))
        .route("/key-figures", get(key_figures::page))
        .route("/key-figures/export", get(key_figures::export))
        .route("/plans", get(plan::list))
        .route("/funding", get(funding::page))
        .route("/funding/sources", post(funding::add_source))
        .route("/funding/grants", post(funding::add_grant))
        .route("/funding/spending", post(funding::add_spending))
        .route("/funding/lines/{id}", post(funding::edit_line))
        .route(
            "/funding/spending/import",
            post(funding::import_spending)
                .layer(axum::extract::DefaultBodyLimit::max(crate::IMPORT_LIMIT)),
        )
        .route(
            "/plans/import",
            post(plan::import).layer(axum::extract::DefaultBodyLimit::max(crate::IMPORT_LIMIT)),
        )
        .route("/plans/{id}", get(plan::detail))
        .route("/plans/{id}/status", post(plan::status))
        .route("/plans/{id}/export", get(plan::export))
        .route(
            "/plans/{id}/targets/{target}/assessments",
            post(plan::assess),
        )
        .route("/activities", get(activity::list).post(activity::create))
        .route("/activities/new", get(activity::new_form))
        .route("/activities/export", get(activity::export))
        .route("/organisations/export", get(organisation::export))
        .route(
            "/activities/import",
            get(activity::import_form)
                .post(activity::import)
                .layer(axum::extract::DefaultBodyLimit::max(crate::IMPORT_LIMIT)),
        )
        .route(
            "/activities/import/template.csv",
            get(activity::import_template),
        )
        .route(
            "/activities/{id}",
            get(activity::detail).post(activity::update),
        )
        .route(
            "/organisations",
            get(organisation::list).post(organisation::create),
        )
        .route("/organisations/{id}", get(organisation::detail))
        .route("/organisations/{id}/forum", post(organisation::forum))
        .route(
            "/organisations/{id}/capacity-building",
            post(organisation::capacity_building),
        )
        .route("/corps", get(corps::corps).post(corps::create_member))
        .route("/corps/{id}/training", post(corps::add_training))
        .route("/corps/{id}", get(corps::member))
        .route("/inbox", get(reminder::inbox))
        .route("/inbox/{id}/read", post(reminder::inbox_read))
        .route("/report", get(report::form).post(report::submit))
        .route("/report/done", get(report::receipt))
        .route("/search", get(search::search))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{username}", get(users::detail))
        .route("/users/{username}/{action}", post(users::action))
}

/// What the layout needs on every page.
pub struct Page {
    pub t: Tr,
    pub title: String,
    pub user: Option<NavUser>,
    pub csrf: String,
    /// The navigation entry this page belongs to, and whether it is that
    /// entry's own page (`aria-current="page"`) or a page under it (`"true"`).
    pub nav: (&'static str, &'static str),
    /// The confirmation of the action just done, translated.
    pub flash: Option<String>,
}

/// The signed-in user as the header and navigation show them.
pub struct NavUser {
    pub name: String,
    pub role: String,
    pub concerns: bool,
    pub meetings: bool,
    pub create: bool,
    pub audit: bool,
    pub courses: bool,
    pub follow_ups: bool,
    pub outcomes: bool,
    pub key_figures: bool,
    pub plans: bool,
    pub funding: bool,
    pub activities: bool,
    pub corps: bool,
    pub search: bool,
    pub users: bool,
    /// The role works from the dashboard (others start elsewhere).
    pub dashboard: bool,
}

/// The navigation entry of a page, from its title key.
fn nav_of(title_key: &str) -> (&'static str, &'static str) {
    match title_key {
        "dashboard.title" => ("dashboard", "page"),
        "concerns.title" => ("concerns", "page"),
        "detail.title" => ("concerns", "true"),
        "new.title" => ("new", "page"),
        "meetings.title" => ("meetings", "page"),
        "meeting.title" => ("meetings", "true"),
        "courses.title" => ("courses", "page"),
        "course.title" => ("courses", "true"),
        "follow_ups.title" => ("follow_ups", "page"),
        "corps.title" => ("corps", "page"),
        "corps.member_title" => ("corps", "true"),
        "outcomes.title" => ("outcomes", "page"),
        "key_figures.title" => ("key_figures", "page"),
        "plans.title" => ("plans", "page"),
        "plans.detail_title" => ("plans", "true"),
        "funding.title" => ("funding", "page"),
        "activities.title" => ("activities", "page"),
        "activities.new_title" | "activities.edit_title" | "activities.import_title" => {
            ("activities", "true")
        }
        "organisations.title" => ("organisations", "page"),
        "organisations.detail_title" => ("organisations", "true"),
        "inbox.title" => ("inbox", "page"),
        "audit.title" => ("audit", "page"),
        "audit.person_title" => ("audit", "true"),
        "users.title" => ("users", "page"),
        "users.user_title" => ("users", "true"),
        "search.title" => ("search", "page"),
        _ => ("", ""),
    }
}

impl Page {
    pub fn new(t: Tr, title_key: &str, session: Option<&Session>) -> Page {
        let user = session.map(|s| {
            let can = |a: Action| decide(&s.actor, a, &Resource::None).is_allowed();
            NavUser {
                name: s.display_name.clone(),
                role: t.code("role", s.role.code()),
                concerns: can(Action::ConcernList),
                meetings: can(Action::MeetingList),
                create: can(Action::ConcernCreate),
                audit: can(Action::AuditRead),
                courses: can(Action::CourseList),
                follow_ups: can(Action::FollowUpList),
                outcomes: can(Action::OutcomeRead),
                key_figures: can(Action::KeyFigureRead),
                plans: can(Action::PlanRead),
                funding: can(Action::FundingRead),
                activities: can(Action::ActivityRead),
                corps: can(Action::CorpsRead),
                search: can(Action::Search),
                users: can(Action::UserManage),
                dashboard: concern::role_home(s.role) == "/dashboard",
            }
        });
        Page {
            t,
            title: t.t(title_key).to_string(),
            user,
            csrf: session.map(|s| s.csrf.clone()).unwrap_or_default(),
            nav: nav_of(title_key),
            flash: flash::current().map(|k| t.t(&k).to_string()),
        }
    }

    /// The versioned address of an asset.
    pub fn asset(&self, path: &str) -> String {
        crate::assets::url(path)
    }

    /// Names the record in the title: `K-2026-0042 · Henvendelse`.
    pub fn named(mut self, name: &str) -> Page {
        if !name.is_empty() {
            self.title = format!("{name} · {}", self.title);
        }
        self
    }

    /// The page marked as showing errors when `e` has any.
    pub fn checked_by(mut self, e: &Errors) -> Page {
        if e.any() {
            self.mark_error();
        }
        self
    }

    /// Marks a page shown with form errors: the title starts with "Fejl:",
    /// so a screen reader hears it first.
    pub fn mark_error(&mut self) {
        let prefix = self.t.t("form.title_error");
        if !self.title.starts_with(prefix) {
            self.title = format!("{prefix} {}", self.title);
        }
    }
}

/// Renders a template into a response.
pub fn render<T: Template>(status: StatusCode, tpl: &T) -> Response {
    match tpl.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    p: Page,
    heading: String,
    message: String,
    /// Quoted when the user reports the error, found in the log.
    request_id: String,
}

/// A full error page with a translated message.
pub fn error_page(t: Tr, session: Option<&Session>, status: StatusCode, key: &str) -> Response {
    let p = Page::new(t, "error.title", session);
    let page = ErrorPage {
        heading: t.code("error.status", status.as_str()),
        message: t.t(key).to_string(),
        request_id: crate::request_id::current().unwrap_or_default(),
        p,
    };
    render(status, &page)
}

/// Maps a use-case error to a page; validation errors are handled by the form
/// handlers themselves before they get here.
pub fn app_error(t: Tr, session: Option<&Session>, e: AppError) -> Response {
    let (status, code) = crate::error::classify(&e);
    match e {
        AppError::Unauthenticated => Redirect::to("/login").into_response(),
        _ => error_page(t, session, status, &format!("error.{}", ui_key(code))),
    }
}

/// The translation key of an error code.
fn ui_key(code: &str) -> &str {
    match code {
        "not_found" => "not_found",
        "forbidden" => "forbidden",
        "conflict" => "conflict",
        "rate_limited" => "rate_limited",
        "invalid" => "invalid",
        "unavailable" => "unavailable",
        _ => "internal",
    }
}

/// A report as a file download, or the error page when it cannot be made.
pub async fn download(
    (t, session): (Tr, Option<&Session>),
    doc: crate::export::Doc,
    format: crate::export::Format,
    name: &str,
) -> Response {
    match crate::export::render(doc, format).await {
        Ok(bytes) => crate::export::response(name, format, bytes),
        Err(e) => {
            tracing::error!(error = %e, "export failed");
            error_page(
                t,
                session,
                StatusCode::INTERNAL_SERVER_ERROR,
                "error.internal",
            )
        }
    }
}

/// A page that does not exist: signed-in users keep their navigation.
pub async fn not_found(UiLang(t): UiLang, user: Result<crate::auth::UiUser, Response>) -> Response {
    let session = user.as_ref().ok().map(|u| &u.session);
    error_page(t, session, StatusCode::NOT_FOUND, "error.not_found")
}

/// A submitted form as name/value pairs (repeated names allowed), read within
/// the body limit.
pub struct FormData(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = crate::auth::cookie_lang(req.headers());
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            let key = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "error.too_large"
            } else {
                "error.bad_request"
            };
            error_page(Tr::new(lang), None, status, key)
        })?;
        let pairs = form_urlencoded::parse(&bytes).into_owned().collect();
        Ok(FormData(pairs))
    }
}

impl FormData {
    /// The first value of a field, trimmed of nothing (the domain trims).
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// All values of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The value for re-showing in the form.
    pub fn value(&self, name: &str) -> String {
        self.get(name).unwrap_or_default()
    }

    /// Whether the form carries the session's CSRF token.
    pub fn csrf_ok(&self, session: &Session) -> bool {
        self.get("csrf")
            .is_some_and(|c| same_secret(&c, &session.csrf))
    }
}

/// The id in a page's path, or the not-found page.
// A response is built once per request; its size on the error path does not matter.
#[allow(clippy::result_large_err)]
pub fn parse_id(t: Tr, user: &crate::auth::UiUser, id: &str) -> Result<uuid::Uuid, Response> {
    id.parse().map_err(|_| {
        error_page(
            t,
            Some(&user.session),
            StatusCode::NOT_FOUND,
            "error.not_found",
        )
    })
}

/// The CSRF check and the path id of a form post, or the page that refuses it.
#[allow(clippy::result_large_err)]
pub fn checked(
    t: Tr,
    user: &crate::auth::UiUser,
    f: &FormData,
    id: &str,
) -> Result<uuid::Uuid, Response> {
    if !f.csrf_ok(&user.session) {
        return Err(csrf_failed(t, &user.session));
    }
    parse_id(t, user, id)
}

/// The refusal for a form without a valid CSRF token.
pub fn csrf_failed(t: Tr, session: &Session) -> Response {
    error_page(t, Some(session), StatusCode::FORBIDDEN, "error.csrf")
}

/// Per-field error texts for a form, translated by code, and the ids of its
/// fields (prefixed with the form's name on pages with several forms).
pub struct Errors {
    errs: FieldErrors,
    t: Tr,
    prefix: String,
}

impl Errors {
    pub fn none(t: Tr) -> Self {
        Errors {
            errs: FieldErrors::new(),
            t,
            prefix: String::new(),
        }
    }

    pub fn of(t: Tr, errs: FieldErrors) -> Self {
        Errors {
            errs,
            t,
            prefix: String::new(),
        }
    }

    pub fn any(&self) -> bool {
        !self.errs.is_empty()
    }

    /// The translated message for a field, empty if none: one that says
    /// what to do with this field (`error.for.channel_required`: "Vælg en
    /// kanal.") where the catalogue has it, else the code's general one.
    pub fn msg(&self, field: &str) -> String {
        match self.errs.get(field) {
            Some(e) => self.message(field, e.code),
            None => String::new(),
        }
    }

    fn message(&self, field: &str, code: &str) -> String {
        let specific = format!("error.for.{}_{code}", field_name(field));
        match self.t.t(&specific) {
            s if s != specific => s.to_string(),
            _ => self.t.code("error.field", code),
        }
    }

    /// The HTML id of a field's input.
    pub fn id(&self, field: &str) -> String {
        self.scoped(field_id(field))
    }

    fn scoped(&self, id: String) -> String {
        match self.prefix.as_str() {
            "" => id,
            p => format!("f-{p}-{}", &id[2..]),
        }
    }

    pub fn has(&self, field: &str) -> bool {
        self.errs.get(field).is_some()
    }

    /// Every error as `(field id, "Label: message")`, for the summary at the top.
    pub fn summary(&self) -> Vec<(String, String)> {
        self.errs
            .0
            .iter()
            .map(|e| {
                let msg = self.message(&e.field, e.code);
                let text = match label_key(&e.field) {
                    Some(key) if self.t.t(&key) != key => format!("{}: {msg}", self.t.t(&key)),
                    _ => msg,
                };
                (self.scoped(field_id(&e.field)), text)
            })
            .collect()
    }

    /// Whether any error belongs to a field under `prefix` (a person slot).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.errs.0.iter().any(|e| e.field.starts_with(prefix))
    }
}

/// The forms of a page that has several. Each form has a name: its field ids
/// are `f-{name}-{field}`, so two forms never share an id, and only the form
/// that was submitted shows the values it was sent with and its errors; the
/// others are blank.
pub struct Forms {
    t: Tr,
    submitted: String,
    data: FormData,
    errs: FieldErrors,
}

impl Forms {
    /// Every form blank (the page as first shown).
    pub fn blank(t: Tr) -> Forms {
        Forms {
            t,
            submitted: String::new(),
            data: FormData(Vec::new()),
            errs: FieldErrors::new(),
        }
    }

    /// The form `name` came back with these values and errors.
    pub fn failed(t: Tr, name: &str, data: FormData, errs: FieldErrors) -> Forms {
        Forms {
            t,
            submitted: name.to_string(),
            data,
            errs,
        }
    }

    /// Whether the submitted form has errors.
    pub fn any(&self) -> bool {
        !self.errs.is_empty()
    }

    /// The values form `name` shows.
    pub fn f(&self, name: &str) -> FormData {
        if name == self.submitted {
            FormData(self.data.0.clone())
        } else {
            FormData(Vec::new())
        }
    }

    /// The errors and ids of form `name`.
    pub fn e(&self, name: &str) -> Errors {
        Errors {
            errs: if name == self.submitted {
                self.errs.clone()
            } else {
                FieldErrors::new()
            },
            t: self.t,
            prefix: name.to_string(),
        }
    }

    /// The errors of the submitted form, for the summary at the top.
    pub fn failed_errors(&self) -> Errors {
        self.e(&self.submitted)
    }
}

/// A field's name for message keys: `reporter.kind` → `reporter_kind`,
/// `persons[1].birth` → `person_birth`.
fn field_name(field: &str) -> String {
    match field.split_once("].") {
        Some((_, rest)) => format!("person_{rest}"),
        None => field.replace('.', "_"),
    }
}

/// The translation key of a field's label: `reporter.kind` → `field.reporter_kind`,
/// `persons[1].birth` → `field.person_birth`.
fn label_key(field: &str) -> Option<String> {
    let name = field_name(field);
    match name.as_str() {
        "date" => Some("field.meeting_date".into()),
        "meeting_id" => Some("field.meeting".into()),
        "persons" => Some("detail.persons".into()),
        // Meeting minutes and a contact's duration share the name: no label.
        "minutes" => None,
        _ => Some(format!("field.{name}")),
    }
}

/// A field name as an HTML id (`persons[0].name` → `f-persons-0-name`).
pub fn field_id(name: &str) -> String {
    let mut id = String::from("f-");
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c);
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_end_matches('-').to_string()
}

impl FormData {
    /// Whether any non-empty field starts with `prefix` (a person slot in use).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.0
            .iter()
            .any(|(k, v)| k.starts_with(prefix) && !v.trim().is_empty())
    }

    /// Whether a field has the given value (for `selected` and `checked`).
    pub fn is(&self, name: &str, v: &str) -> bool {
        self.0.iter().any(|(k, x)| k == name && x == v)
    }
}
