//! The store contract for courses, the corps and follow-ups, on SQLite and
//! (with `VINK_TEST_POSTGRES_URL`) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use uuid::Uuid;
use vink_domain::policy::CourseScope;
use vink_store::course::{self, AssessmentRow, ContactRow, CourseRow, GoalRow, RatingRow};
use vink_store::{corps, follow_up, organisation, person, user};

fn course_row(
    person: Uuid,
    agency: Uuid,
    member: Option<Uuid>,
    status: &str,
    started: Option<&str>,
    ended: Option<&str>,
) -> CourseRow {
    CourseRow {
        id: Uuid::now_v7(),
        person_id: person,
        kind: "mentor".into(),
        prevention_level: "pre_emptive".into(),
        concern_id: None,
        direct_reason: Some("test".into()),
        agency_id: agency,
        legal_basis: None,
        language: Some("dansk".into()),
        status: status.into(),
        corps_member_id: member,
        consent_on: None,
        guardian_consent_on: None,
        guardian_name: None,
        consent_recorded_by: None,
        started_on: started.map(Into::into),
        ended_on: ended.map(Into::into),
        created_at: 1,
        created_by: None,
    }
}

/// A person named "P" with this id, for a course to belong to.
async fn add_person(tx: &mut vink_store::Authorized, id: Uuid) {
    person::insert_person(
        tx,
        &person::PersonRow {
            id,
            name: Some("P".into()),
            birth: None,
            district: None,
            match_key: None,
            created_at: 1,
        },
    )
    .await
    .unwrap();
}

/// The SSP agency's id and a new person's, for courses of one person there.
async fn ssp_and_person(tx: &mut vink_store::Authorized) -> (Uuid, Uuid) {
    let ssp = organisation::agency_by_code(tx, "ssp")
        .await
        .unwrap()
        .unwrap()
        .id;
    let pid = Uuid::now_v7();
    add_person(tx, pid).await;
    (ssp, pid)
}

#[tokio::test]
async fn courses_scopes_records_follow_ups_and_figures() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let ssp = organisation::agency_by_code(&mut tx, "ssp")
            .await
            .unwrap()
            .unwrap()
            .id;
        let eki = organisation::agency_by_code(&mut tx, "eki")
            .await
            .unwrap()
            .unwrap()
            .id;
        let uid = Uuid::now_v7();
        user::insert_user(
            &mut tx,
            &user::UserRow {
                id: uid,
                username: "m".into(),
                display_name: "M".into(),
                role: "mentor".into(),
                agency_id: None,
                password_hash: "x".into(),
                active: true,
                created_at: 1,
            },
        )
        .await
        .unwrap();
        let member = corps::CorpsMemberRow {
            id: Uuid::now_v7(),
            user_id: Some(uid),
            name: "Mads".into(),
            kind: "mentor".into(),
            languages: "dansk,arabisk".into(),
            specialties: "mentor".into(),
            districts: "valby".into(),
            max_caseload: 3,
            active: true,
            created_at: 1,
        };
        corps::insert_member(&mut tx, &member).await.unwrap();
        let pid = Uuid::now_v7();
        add_person(&mut tx, pid).await;
        let mine = course_row(
            pid,
            ssp,
            Some(member.id),
            "active",
            Some("2025-11-01"),
            None,
        );
        let done = course_row(
            pid,
            eki,
            None,
            "completed",
            Some("2026-02-01"),
            Some("2026-05-31"),
        );
        let dropped = course_row(
            pid,
            eki,
            None,
            "discontinued",
            Some("2026-01-10"),
            Some("2026-03-01"),
        );
        for c in [&mine, &done, &dropped] {
            course::insert_course(&mut tx, c).await.unwrap();
        }
        assert_eq!(
            course::course(&mut tx, mine.id)
                .await
                .unwrap()
                .unwrap()
                .language
                .as_deref(),
            Some("dansk")
        );
        assert_eq!(
            course::mentor_user(&mut tx, member.id).await.unwrap(),
            Some(uid)
        );
        let listed = course::list_courses(
            &mut tx,
            CourseScope::All,
            &course::CourseFilter::default(),
            10,
            0,
        )
        .await
        .unwrap();
        let all = listed.rows;
        assert_eq!((all.len(), listed.total), (3, 3), "{}", t.name);
        assert!(!listed.total_capped);
        assert_eq!(all[0].id, mine.id, "active first");
        assert_eq!(
            course::list_courses(
                &mut tx,
                CourseScope::Agency(eki),
                &course::CourseFilter::default(),
                10,
                0
            )
            .await
            .unwrap()
            .total,
            2
        );
        let m = course::list_courses(
            &mut tx,
            CourseScope::Mentor(uid),
            &course::CourseFilter::default(),
            10,
            0,
        )
        .await
        .unwrap()
        .rows;
        assert_eq!(m.iter().map(|c| c.id).collect::<Vec<_>>(), vec![mine.id]);
        assert_eq!(
            course::list_courses(
                &mut tx,
                CourseScope::Nothing,
                &course::CourseFilter::default(),
                10,
                0
            )
            .await
            .unwrap()
            .total,
            0
        );
        assert_eq!(
            course::list_courses(
                &mut tx,
                CourseScope::All,
                &course::CourseFilter {
                    status: Some("completed".into()),
                    ..Default::default()
                },
                10,
                0
            )
            .await
            .unwrap()
            .total,
            1
        );
        // Pages cross the streams (active, planned, ended) in the list's order.
        let extra = [
            course_row(pid, ssp, None, "active", Some("2027-01-05"), None),
            course_row(pid, ssp, None, "planned", None, None),
            course_row(
                pid,
                ssp,
                None,
                "completed",
                Some("2019-01-01"),
                Some("2019-02-01"),
            ),
            course_row(
                pid,
                ssp,
                None,
                "discontinued",
                Some("2019-03-01"),
                Some("2019-04-01"),
            ),
            // Ties on the streams' dates; one ended before it started.
            course_row(pid, ssp, None, "active", Some("2027-01-05"), None),
            course_row(pid, ssp, None, "discontinued", None, Some("2019-04-01")),
        ];
        for c in &extra {
            course::insert_course(&mut tx, c).await.unwrap();
        }
        let listed = course::list_courses(
            &mut tx,
            CourseScope::All,
            &course::CourseFilter::default(),
            100,
            0,
        )
        .await
        .unwrap();
        let whole = listed.rows;
        assert_eq!((whole.len(), listed.total), (9, 9));
        let statuses: Vec<&str> = whole.iter().map(|c| c.status.as_str()).collect();
        let rank = |s: &str| match s {
            "active" => 0,
            "planned" => 1,
            _ => 2,
        };
        assert!(
            statuses.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
            "{statuses:?}"
        );
        assert_eq!(
            whole[0].started_on.as_deref(),
            Some("2027-01-05"),
            "the newest start first"
        );
        for size in [1, 2, 3] {
            let mut paged = Vec::new();
            for page in 0..10 {
                let rows = course::list_courses(
                    &mut tx,
                    CourseScope::All,
                    &course::CourseFilter::default(),
                    size,
                    page * size,
                )
                .await
                .unwrap()
                .rows;
                paged.extend(rows.into_iter().map(|c| c.id));
            }
            assert_eq!(
                paged,
                whole.iter().map(|c| c.id).collect::<Vec<_>>(),
                "pages of {size} on {}",
                t.name
            );
        }
        // By cursor, both ways round: every course once, in list order.
        for order in [vink_store::Order::Descending, vink_store::Order::Ascending] {
            let mut filter = course::CourseFilter {
                order,
                ..Default::default()
            };
            let whole: Vec<Uuid> = course::list_courses(&mut tx, CourseScope::All, &filter, 100, 0)
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|c| c.id)
                .collect();
            for size in [1, 2, 3] {
                filter.after = None;
                let mut paged = Vec::new();
                loop {
                    let page = course::list_courses(&mut tx, CourseScope::All, &filter, size, 0)
                        .await
                        .unwrap();
                    assert!(!page.rows.is_empty(), "a next page is never empty");
                    // Every page carries the whole list's total, however it
                    // was read (with its first stream's rows, or on its own).
                    assert_eq!(page.total, 9, "{order:?} by {size} on {}", t.name);
                    paged.extend(page.rows.iter().map(|c| c.id));
                    let Some(next) = page.next else { break };
                    let back = course::CourseCursor::decode(&next.encode());
                    assert_eq!(back.as_ref(), Some(&next), "the cursor reads back");
                    filter.after = back;
                    assert!(paged.len() <= whole.len(), "{order:?} by {size}: no end");
                }
                assert_eq!(paged, whole, "{order:?} by {size} on {}", t.name);
            }
        }
        for bad in [
            "",
            "x",
            "a.2026-13-01.00000000-0000-0000-0000-000000000000",
            "p.nope",
            "e.2026-01-01",
        ] {
            assert_eq!(course::CourseCursor::decode(bad), None, "{bad}");
        }
        let loads = corps::members(&mut tx).await.unwrap();
        assert_eq!(loads[0].caseload, 1);

        course::insert_goal(
            &mut tx,
            mine.id,
            &GoalRow {
                id: Uuid::now_v7(),
                position: 0,
                text: "Skole".into(),
                status: "open".into(),
                updated_at: 1,
            },
        )
        .await
        .unwrap();
        let gid = course::goals(&mut tx, mine.id).await.unwrap()[0].id;
        assert!(
            course::set_goal_status(&mut tx, mine.id, gid, "achieved", 2)
                .await
                .unwrap()
        );
        assert!(
            !course::set_goal_status(&mut tx, done.id, gid, "achieved", 2)
                .await
                .unwrap(),
            "goal of another course"
        );
        course::insert_contact(
            &mut tx,
            mine.id,
            &ContactRow {
                id: Uuid::now_v7(),
                on_date: "2026-01-05".into(),
                minutes: 45,
                form: "phone".into(),
                note: None,
                created_by: Some(uid),
            },
            3,
        )
        .await
        .unwrap();
        assert_eq!(
            course::contacts(&mut tx, mine.id).await.unwrap()[0].minutes,
            45
        );

        // Follow-ups: the completed course's risk answer is recorded, occupation pending.
        follow_up::insert_follow_up(&mut tx, Uuid::now_v7(), done.id, "risk", "2026-11-30")
            .await
            .unwrap();
        follow_up::insert_follow_up(&mut tx, Uuid::now_v7(), done.id, "occupation", "2027-05-31")
            .await
            .unwrap();
        let aid = Uuid::now_v7();
        let ratings = [RatingRow {
            assessment_id: aid,
            area: "housing".into(),
            rating: 4,
            comment: Some("ok".into()),
        }];
        course::insert_assessment(
            &mut tx,
            done.id,
            &AssessmentRow {
                id: aid,
                point: "six_months".into(),
                on_date: "2026-11-20".into(),
                occupation: None,
                risk: Some("no_longer_at_risk".into()),
            },
            &ratings,
            4,
            Some(uid),
        )
        .await
        .unwrap();
        assert!(
            follow_up::record(&mut tx, done.id, "risk", aid, 5)
                .await
                .unwrap()
        );
        assert!(
            !follow_up::record(&mut tx, done.id, "risk", aid, 6)
                .await
                .unwrap(),
            "recorded once"
        );
        let (rows, rs) = course::assessments(&mut tx, done.id).await.unwrap();
        assert_eq!((rows.len(), rs.len(), rs[0].rating), (1, 1, 4));
        let open = follow_up::open_follow_ups(
            &mut tx,
            CourseScope::All,
            ("9999-12-31", None),
            (vink_store::Order::Ascending, None),
            10,
        )
        .await
        .unwrap();
        assert_eq!(
            open.iter().map(|f| f.kind.as_str()).collect::<Vec<_>>(),
            vec!["occupation"]
        );
        assert!(
            follow_up::open_follow_ups(
                &mut tx,
                CourseScope::Mentor(uid),
                ("9999-12-31", None),
                (vink_store::Order::Ascending, None),
                10
            )
            .await
            .unwrap()
            .is_empty()
        );
        let facts = follow_up::outcome_facts(&mut tx, "2026-01-01", "2026-12-31")
            .await
            .unwrap();
        assert_eq!(facts.len(), 1);
        assert_eq!(
            (facts[0].risk.as_deref(), facts[0].occupation.as_deref()),
            (Some("no_longer_at_risk"), None)
        );
        let kinds = follow_up::counts_by_kind(&mut tx, "2026-01-01", "2026-12-31")
            .await
            .unwrap();
        assert_eq!(kinds.len(), 1);
        let k = &kinds[0];
        assert_eq!(
            (k.running, k.carried_over, k.completed, k.discontinued),
            (3, 1, 1, 1),
            "{}",
            t.name
        );
        tx.commit().await.unwrap();
        t.finish().await;
    }
}

/// The ended history is counted only up to a cap ("at least"), active and
/// planned courses always exactly; page numbers past the cap still read the
/// ended courses beyond it, and the last one is reachable.
#[tokio::test]
async fn the_ended_count_stops_at_its_cap_and_pages_go_on() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let (ssp, pid) = ssp_and_person(&mut tx).await;
        let active = course_row(pid, ssp, None, "active", Some("2026-01-01"), None);
        course::insert_course(&mut tx, &active).await.unwrap();
        let extra = 7;
        let n = course::ENDED_COUNT_CAP + extra;
        let mut oldest = None;
        for i in 0..n {
            // Ended on distinct days, newest first in the list: the last one
            // inserted ended earliest.
            let day = jiff::civil::date(2025, 12, 31) - jiff::Span::new().days(i);
            let ended = day.to_string();
            let c = course_row(
                pid,
                ssp,
                None,
                "completed",
                Some("2000-01-01"),
                Some(&ended),
            );
            course::insert_course(&mut tx, &c).await.unwrap();
            oldest = Some(c.id);
        }
        let filter = course::CourseFilter::default();
        let first = course::list_courses(&mut tx, CourseScope::All, &filter, 25, 0)
            .await
            .unwrap();
        assert!(first.total_capped, "{}", t.name);
        assert_eq!(first.total, course::ENDED_COUNT_CAP + 1, "{}", t.name);
        assert_eq!(first.rows[0].id, active.id);
        // A page that starts past the capped total still reads the ended
        // courses there, up to the last.
        let offset = first.total + 1;
        let page = course::list_courses(&mut tx, CourseScope::All, &filter, 25, offset)
            .await
            .unwrap();
        assert_eq!(page.rows.len() as i64, n + 1 - offset, "{}", t.name);
        assert_eq!(page.rows.last().map(|r| r.id), oldest, "{}", t.name);
        // By cursor too, from the first page on.
        let mut after = first.next;
        let mut seen = first.rows.len() as i64;
        let mut last = None;
        while let Some(c) = after {
            let f = course::CourseFilter {
                after: Some(c),
                ..Default::default()
            };
            let p = course::list_courses(&mut tx, CourseScope::All, &f, 100, 0)
                .await
                .unwrap();
            seen += p.rows.len() as i64;
            last = p.rows.last().map(|r| r.id).or(last);
            after = p.next;
        }
        assert_eq!((seen, last), (n + 1, oldest), "{}", t.name);
        // A filter that leaves fewer ended courses than the cap counts exactly.
        let active_only = course::list_courses(
            &mut tx,
            CourseScope::All,
            &course::CourseFilter {
                status: Some("active".into()),
                ..Default::default()
            },
            25,
            0,
        )
        .await
        .unwrap();
        assert_eq!((active_only.total, active_only.total_capped), (1, false));
        drop(tx);
        t.finish().await;
    }
}

/// The list's keys are values in their streams: an active course without a
/// start, or an ended one without an end, is refused on both databases (a
/// cursor's row comparison would skip it).
#[tokio::test]
async fn a_course_without_its_list_key_is_refused() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let (ssp, pid) = ssp_and_person(&mut tx).await;
        let unstarted = course_row(pid, ssp, None, "active", None, None);
        let refused = match course::insert_course(&mut tx, &unstarted).await {
            Err(_) => true,
            // PostgreSQL may queue the insert until the next statement.
            Ok(()) => course::course(&mut tx, unstarted.id).await.is_err(),
        };
        assert!(refused, "active without a start on {}", t.name);
        drop(tx);
        let mut tx = common::auth(&t.db).await;
        add_person(&mut tx, pid).await;
        // The same course with its end is taken: the refusal is the key's.
        let ended = course_row(
            pid,
            ssp,
            None,
            "completed",
            Some("2026-01-01"),
            Some("2026-02-01"),
        );
        course::insert_course(&mut tx, &ended).await.unwrap();
        assert!(course::course(&mut tx, ended.id).await.unwrap().is_some());
        let unended = course_row(pid, ssp, None, "completed", Some("2026-01-01"), None);
        let refused = match course::insert_course(&mut tx, &unended).await {
            Err(_) => true,
            Ok(()) => course::course(&mut tx, unended.id).await.is_err(),
        };
        assert!(refused, "ended without an end on {}", t.name);
        drop(tx);
        t.finish().await;
    }
}

/// Pages by number (past the first, read by their keys and put back in
/// order) show the same courses in the same order as the cursor's walk,
/// newest first and oldest first, ties on a date included.
#[tokio::test]
async fn pages_by_number_equal_the_cursor_walk_in_both_orders() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let (ssp, pid) = ssp_and_person(&mut tx).await;
        let rows = [
            ("active", Some("2026-01-05"), None),
            ("active", Some("2026-01-05"), None),
            ("active", Some("2026-02-01"), None),
            ("planned", None, None),
            ("planned", None, None),
            ("completed", Some("2024-01-01"), Some("2025-03-01")),
            ("discontinued", None, Some("2025-03-01")),
            ("completed", Some("2024-01-01"), Some("2025-05-01")),
            ("completed", Some("2023-01-01"), Some("2024-01-01")),
        ];
        for (status, started, ended) in rows {
            let c = course_row(pid, ssp, None, status, started, ended);
            course::insert_course(&mut tx, &c).await.unwrap();
        }
        for order in [vink_store::Order::Descending, vink_store::Order::Ascending] {
            let filter = course::CourseFilter {
                order,
                ..Default::default()
            };
            let mut walked = Vec::new();
            let mut f = filter.clone();
            loop {
                let p = course::list_courses(&mut tx, CourseScope::All, &f, 2, 0)
                    .await
                    .unwrap();
                walked.extend(p.rows.iter().map(|r| r.id));
                match p.next {
                    Some(c) => f.after = Some(c),
                    None => break,
                }
            }
            assert_eq!(walked.len(), rows.len(), "{order:?} on {}", t.name);
            let mut numbered = Vec::new();
            for offset in (0..rows.len() as i64).step_by(2) {
                let p = course::list_courses(&mut tx, CourseScope::All, &filter, 2, offset)
                    .await
                    .unwrap();
                numbered.extend(p.rows.iter().map(|r| r.id));
            }
            assert_eq!(numbered, walked, "{order:?} on {}", t.name);
        }
        drop(tx);
        t.finish().await;
    }
}
