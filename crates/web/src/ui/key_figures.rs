//! The key-figure report page: the seed's "Nøgletal" for any period, beside
//! the period of equal length before it.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use vink_app::key_figures::{self as uc, KeyFigureQuery, KeyFigureReport};
use vink_domain::key_figures::{Figure, Unit};

use super::{FormData, Page, app_error, render};
use crate::AppState;
use crate::auth::{UiLang, UiUser};
use crate::i18n::Tr;

/// One line of a section: a label and the two periods' values as shown.
pub struct Line {
    pub label: String,
    /// Indented under the line before (a part of it).
    pub part: bool,
    pub now: String,
    pub before: String,
}

/// A focus area's block of figures.
pub struct Section {
    pub heading: String,
    pub lines: Vec<Line>,
}

/// A chart with its numbers as a table.
pub struct ChartView {
    pub title: String,
    pub svg: String,
    /// The table's column heads after the first.
    pub head: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

fn cell(t: &Tr, v: Option<i64>, unit: &str) -> String {
    match v {
        Some(n) => format!("{n}{unit}"),
        None => t.t("key_figures.hidden").into(),
    }
}

fn month_label(t: &Tr, ym: &str) -> String {
    match ym.split_once('-') {
        Some((y, m)) => format!("{} {}", t.code("month", m.trim_start_matches('0')), &y[2..]),
        None => ym.to_string(),
    }
}

/// The report's four charts.
fn charts(t: &Tr, r: &KeyFigureReport) -> Vec<ChartView> {
    use crate::chart::{Line, bars, hbars};
    let s = &r.series;
    let months: Vec<String> = s.months.iter().map(|m| month_label(t, m)).collect();
    let table = |lines: &[(&str, &[Option<i64>])],
                 unit: &str|
     -> (Vec<String>, Vec<(String, Vec<String>)>) {
        let head = lines.iter().map(|(n, _)| n.to_string()).collect();
        let rows = months
            .iter()
            .enumerate()
            .map(|(i, m)| {
                (
                    m.clone(),
                    lines
                        .iter()
                        .map(|(_, v)| cell(t, v.get(i).copied().flatten(), unit))
                        .collect(),
                )
            })
            .collect();
        (head, rows)
    };
    let mut out = Vec::new();
    // 1: received and founded per month.
    let (rec, fou) = (
        t.t("key_figures.chart_received"),
        t.t("key_figures.chart_founded"),
    );
    let lines = [
        Line {
            name: rec,
            values: &s.concerns_received,
        },
        Line {
            name: fou,
            values: &s.concerns_founded,
        },
    ];
    let title = t.t("key_figures.chart_concerns").to_string();
    let (head, rows) = table(
        &[(rec, &s.concerns_received), (fou, &s.concerns_founded)],
        "",
    );
    out.push(ChartView {
        svg: bars(
            "chart-concerns",
            &title,
            t.t("key_figures.chart_concerns_desc"),
            &months,
            &lines,
            false,
            "",
        ),
        title,
        head,
        rows,
    });
    // 2: the share triaged within the deadline, per month with cases.
    let share: Vec<Option<i64>> = s
        .concerns_triaged_on_time
        .iter()
        .zip(&s.concerns_needing_local_action)
        .map(|(on, need)| match (on, need) {
            (Some(o), Some(n)) if *n > 0 => Some(o * 100 / n),
            _ => None,
        })
        .collect();
    let name = t.t("key_figures.chart_on_time_share");
    let title = t.t("key_figures.chart_on_time").to_string();
    let (head, rows) = table(&[(name, &share)], " %");
    out.push(ChartView {
        svg: bars(
            "chart-on-time",
            &title,
            t.t("key_figures.chart_on_time_desc"),
            &months,
            &[Line {
                name,
                values: &share,
            }],
            false,
            " %",
        ),
        title,
        head,
        rows,
    });
    // 3: participants by target group in the period.
    let groups: Vec<(String, Option<i64>)> = vink_domain::activity::TargetGroup::ALL
        .iter()
        .map(|g| {
            let code = format!("participants.{}", g.code());
            (
                t.code("target_group", g.code()),
                r.figure(&code).and_then(|f| f.value),
            )
        })
        .collect();
    let title = t.t("key_figures.chart_participants").to_string();
    out.push(ChartView {
        svg: hbars(
            "chart-participants",
            &title,
            t.t("key_figures.chart_participants_desc"),
            &groups,
        ),
        title,
        head: vec![t.t("activities.participants").to_string()],
        rows: groups
            .iter()
            .map(|(g, v)| (g.clone(), vec![cell(t, *v, "")]))
            .collect(),
    });
    // 4: courses running per month, by kind.
    let names: Vec<String> = s
        .courses_running
        .iter()
        .map(|k| t.code("programme", &k.kind))
        .collect();
    let lines: Vec<Line<'_>> = s
        .courses_running
        .iter()
        .zip(&names)
        .map(|(k, n)| Line {
            name: n,
            values: &k.values,
        })
        .collect();
    let cols: Vec<(&str, &[Option<i64>])> = s
        .courses_running
        .iter()
        .zip(&names)
        .map(|(k, n)| (n.as_str(), k.values.as_slice()))
        .collect();
    let title = t.t("key_figures.chart_courses").to_string();
    let (head, rows) = table(&cols, "");
    out.push(ChartView {
        svg: bars(
            "chart-courses",
            &title,
            t.t("key_figures.chart_courses_desc"),
            &months,
            &lines,
            true,
            "",
        ),
        title,
        head,
        rows,
    });
    out
}

#[derive(Template)]
#[template(path = "key_figures.html")]
struct KeyFiguresPage {
    p: Page,
    f: FormData,
    e: super::Errors,
    /// The periods as shown in the column heads.
    now: String,
    before: String,
    sections: Vec<Section>,
    charts: Vec<ChartView>,
    suppressed: bool,
    /// (address, label) of each file format.
    downloads: Vec<(String, String)>,
}

/// A figure as text: a count, "<5" when hidden, a share as "n af d (p %)".
fn shown(t: &Tr, f: Option<&Figure>) -> String {
    let Some(f) = f else {
        return "–".into();
    };
    if f.suppressed {
        return t.t("key_figures.hidden").into();
    }
    match f.unit {
        Unit::Count => f.value.map(|v| v.to_string()).unwrap_or_default(),
        Unit::Share => {
            let (n, d) = (f.value.unwrap_or(0), f.denominator.unwrap_or(0));
            let mut s = t.f2("outcomes.share", "n", n, "d", d);
            if let Some(p) = f.percent {
                s.push_str(&format!(" ({p} %)"));
            }
            if let Some(pending) = f.pending.filter(|p| *p > 0) {
                s.push_str(&format!(" · {}", t.f1("outcomes.pending", "n", pending)));
            }
            s
        }
    }
}

pub(crate) fn sections(t: &Tr, r: &KeyFigureReport) -> Vec<Section> {
    let line = |code: &str, part: bool, label: String| Line {
        label,
        part,
        now: shown(t, r.figure(code)),
        before: shown(t, r.previous_figure(code)),
    };
    let named = |code: &str, part: bool| line(code, part, t.code("key_figures", code));
    let mut individual = vec![
        named("concerns_received", false),
        named("concerns_founded", true),
        named("concerns_needing_local_action", true),
        named("concerns_triaged_on_time", true),
        named("courses_running", false),
    ];
    for k in vink_domain::course::CourseKind::ALL {
        let code = format!("courses_running.{}", k.code());
        individual.push(line(&code, true, t.code("programme", k.code())));
    }
    for code in [
        "courses_carried_over",
        "courses_started",
        "courses_completed",
        "courses_discontinued",
        "no_longer_at_risk",
        "in_education_or_employment",
    ] {
        individual.push(named(code, false));
    }
    // Focus area 2: presentations, theme days and advice for front-line
    // staff, talks for parents and pupils.
    let activity = |k: &str| {
        line(
            &format!("activities.{k}"),
            false,
            t.code("activity_kind", k),
        )
    };
    let people = |g: &str, part: bool| {
        line(
            &format!("participants.{g}"),
            part,
            t.code("target_group", g),
        )
    };
    let mut front_line: Vec<Line> = [
        "presentation",
        "theme_day",
        "network_meeting",
        "advisory",
        "parent_course",
    ]
    .iter()
    .map(|k| activity(k))
    .collect();
    front_line.push(Line {
        label: t.t("key_figures.participants").into(),
        part: false,
        now: String::new(),
        before: String::new(),
    });
    front_line.extend(
        [
            "front_line_staff",
            "parents",
            "pupils",
            "young_people",
            "corps",
        ]
        .iter()
        .map(|g| people(g, true)),
    );
    // Focus area 3: the citizen forum, dialogue, workshops, capacity building.
    let mut civil = vec![
        named("forum_organisations", false),
        named("forum_meetings", false),
    ];
    civil.extend(
        [
            "dialogue",
            "youth_dialogue",
            "workshop",
            "capacity_building",
        ]
        .iter()
        .map(|k| activity(k)),
    );
    civil.push(named("institutions_capacity_building", false));
    civil.push(Line {
        label: t.t("key_figures.participants").into(),
        part: false,
        now: String::new(),
        before: String::new(),
    });
    civil.extend(
        [
            "local_professionals",
            "womens_networks",
            "citizens",
            "organisations",
        ]
        .iter()
        .map(|g| people(g, true)),
    );
    vec![
        Section {
            heading: t.t("key_figures.individual").into(),
            lines: individual,
        },
        Section {
            heading: t.t("key_figures.front_line").into(),
            lines: front_line,
        },
        Section {
            heading: t.t("key_figures.civil_society").into(),
            lines: civil,
        },
    ]
}

pub async fn page(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(mut q): Query<KeyFigureQuery>,
) -> Response {
    let session = &user.session;
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|x| x.trim().is_empty());
    // Without a period: this year so far.
    if blank(&q.from) && blank(&q.to) {
        let today = s.app.today();
        q.from = Some(format!("{}-01-01", today.year()));
        q.to = Some(today.to_string());
    }
    let day = |v: &Option<String>| {
        let raw = v.clone().unwrap_or_default();
        match raw.parse::<jiff::civil::Date>() {
            Ok(d) => d.strftime("%d.%m.%Y").to_string(),
            Err(_) => raw,
        }
    };
    let mut page = KeyFiguresPage {
        p: Page::new(t, "key_figures.title", Some(session)),
        f: FormData(vec![
            ("from".into(), day(&q.from)),
            ("to".into(), day(&q.to)),
        ]),
        e: super::Errors::none(t),
        now: String::new(),
        before: String::new(),
        sections: Vec::new(),
        charts: Vec::new(),
        suppressed: false,
        downloads: Vec::new(),
    };
    match uc::report(&s.app, &session.actor, &q).await {
        Ok(r) => {
            let period =
                |a: &str, b: &str| format!("{} – {}", crate::view::day(a), crate::view::day(b));
            page.now = period(&r.from, &r.to);
            page.before = r
                .previous
                .as_ref()
                .map(|p| period(&p.from, &p.to))
                .unwrap_or_default();
            page.sections = sections(&t, &r);
            page.charts = charts(&t, &r);
            page.downloads = [("csv", "CSV"), ("xlsx", "Excel"), ("pdf", "PDF")]
                .iter()
                .map(|(f, label)| {
                    (
                        format!("/key-figures/export?from={}&to={}&format={f}", r.from, r.to),
                        label.to_string(),
                    )
                })
                .collect();
            page.suppressed = r.suppressed_small_numbers;
            render(StatusCode::OK, &page)
        }
        Err(vink_app::AppError::Invalid(errs)) => {
            page.e = super::Errors::of(t, errs);
            page.p.mark_error();
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => app_error(t, Some(session), e),
    }
}

/// The report as an export document: the page's sections and charts.
pub fn doc(t: &Tr, r: &KeyFigureReport, today: &str) -> crate::export::Doc {
    use crate::export::{Block, Doc};
    let period = |a: &str, b: &str| format!("{} – {}", crate::view::day(a), crate::view::day(b));
    let now = period(&r.from, &r.to);
    let before = r
        .previous
        .as_ref()
        .map(|p| period(&p.from, &p.to))
        .unwrap_or_default();
    let mut blocks = Vec::new();
    for s in sections(t, r) {
        blocks.push(Block::Heading(s.heading));
        blocks.push(Block::Table {
            head: vec![now.clone(), before.clone()],
            rows: s
                .lines
                .into_iter()
                .map(|l| {
                    let label = if l.part {
                        format!("{} {}", t.t("key_figures.of_which"), l.label)
                    } else {
                        l.label
                    };
                    vec![label, l.now, l.before]
                })
                .collect(),
        });
    }
    for c in charts(t, r) {
        blocks.push(Block::Chart {
            title: c.title,
            svg: c.svg,
            head: c.head,
            rows: c
                .rows
                .into_iter()
                .map(|(label, cells)| std::iter::once(label).chain(cells).collect())
                .collect(),
        });
    }
    let mut note = t.f1("key_figures.printed", "d", today);
    if r.suppressed_small_numbers {
        note = format!("{} {note}", t.t("key_figures.suppressed"));
    }
    Doc {
        title: t.t("key_figures.heading").into(),
        subtitle: t.f2("key_figures.subtitle", "now", &now, "before", &before),
        note,
        blocks,
    }
}

/// `/key-figures/export?from&to&format=csv|xlsx|pdf`: the report as a file.
pub async fn export(
    State(s): State<AppState>,
    UiLang(t): UiLang,
    user: UiUser,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let Some(format) = get("format")
        .as_deref()
        .and_then(crate::export::Format::parse)
    else {
        return super::error_page(
            t,
            Some(&user.session),
            StatusCode::UNPROCESSABLE_ENTITY,
            "error.invalid",
        );
    };
    let query = KeyFigureQuery {
        from: get("from"),
        to: get("to"),
    };
    match uc::report(&s.app, &user.session.actor, &query).await {
        Ok(r) => {
            file(
                &t,
                &r,
                format,
                &s.app.today().strftime("%d.%m.%Y").to_string(),
            )
            .await
        }
        Err(e) => app_error(t, Some(&user.session), e),
    }
}

/// The report rendered as `format`, or a 500 page if rendering fails.
pub async fn file(
    t: &Tr,
    r: &KeyFigureReport,
    format: crate::export::Format,
    today: &str,
) -> Response {
    let name = format!("noegletal-{}-{}", r.from, r.to);
    super::download((*t, None), doc(t, r, today), format, &name).await
}
