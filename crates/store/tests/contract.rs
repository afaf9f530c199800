//! The store contract: every query behaves the same on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;
use vink_domain::audit::{AuditFields, ChainVerifier, Outcome};
use vink_domain::policy::ConcernScope;
use vink_store::concern::{self, ConcernFilter, ConcernRow, DueFilter};
use vink_store::{audit, micros, organisation, person, triage, user};

const H: i64 = 3_600_000_000;

fn concern_row(n: i64, received: i64, deadline: i64) -> ConcernRow {
    ConcernRow {
        id: Uuid::now_v7(),
        case_number: format!("K-2026-{n:04}"),
        receipt: None,
        channel: "hotline".into(),
        received_at: received,
        reporter_kind: "professional".into(),
        reporter_organisation: Some("Skole Ø".into()),
        reporter_name: None,
        reporter_contact: None,
        description: "Beskrivelse med æøå".into(),
        immediate_danger: n % 2 == 0,
        status: "received".into(),
        decision: None,
        programme_kind: None,
        triage_deadline_at: deadline,
        paused_at: None,
        decided_at: None,
        created_at: received,
        created_by: None,
    }
}

fn filter(now: i64) -> ConcernFilter {
    ConcernFilter {
        danger: false,
        channel: None,
        received_from: None,
        received_to: None,
        status: None,
        due: None,
        now,
        soon_until: now + 12 * H,
        limit: 50,
        offset: 0,
        after: None,
        before: None,
        planned_for_values: false,
    }
}

async fn list(
    tx: &mut vink_store::Tx,
    scope: ConcernScope,
    f: &ConcernFilter,
) -> (Vec<concern::ConcernListRow>, i64) {
    let p = concern::list_concerns(tx, scope, f).await.unwrap();
    (p.rows, p.total)
}

#[tokio::test]
async fn migrations_are_equal_in_number_and_idempotent() {
    for t in common::backends().await {
        assert_eq!(t.db.migration_count(), 31, "{}", t.name);
        t.db.migrate().await.unwrap();
        let mut tx = common::auth(&t.db).await;
        let agencies = organisation::list_agencies(&mut tx).await.unwrap();
        assert_eq!(agencies.len(), 8, "{}", t.name);
        assert!(
            organisation::agency_by_code(&mut tx, "ssp")
                .await
                .unwrap()
                .is_some()
        );
        tx.commit().await.unwrap();
        t.finish().await;
    }
}

#[tokio::test]
async fn concern_round_trip_and_counters() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        assert_eq!(
            concern::next_counter(&mut tx, "case:2026").await.unwrap(),
            1
        );
        assert_eq!(
            concern::next_counter(&mut tx, "case:2026").await.unwrap(),
            2
        );
        assert_eq!(
            concern::next_counter(&mut tx, "case:2025").await.unwrap(),
            1
        );
        let now = micros(Timestamp::now());
        let row = concern_row(1, now, now + 48 * H);
        concern::insert_concern(&mut tx, &row, &[]).await.unwrap();
        let back = concern::concern(&mut tx, row.id).await.unwrap().unwrap();
        assert_eq!(back.case_number, row.case_number);
        assert_eq!(back.received_at, now);
        assert_eq!(back.description, row.description);
        assert!(back.immediate_danger == row.immediate_danger);
        assert!(
            concern::concern(&mut tx, Uuid::now_v7())
                .await
                .unwrap()
                .is_none()
        );
        // Case numbers are unique: the insert fails, at once (SQLite) or,
        // queued (PostgreSQL), at the transaction's next statement.
        let dup = concern_row(1, now, now);
        let err = match concern::insert_concern(&mut tx, &dup, &[]).await {
            Err(e) => e,
            Ok(()) => concern::concern(&mut tx, dup.id).await.unwrap_err(),
        };
        assert!(err.is_unique_violation(), "{}: {err}", t.name);
        drop(tx);
        t.finish().await;
    }
}

/// A concern's agendas: every meeting once, by date, whatever number of
/// agencies attend it (none, one, several), and every attending agency once.
#[tokio::test]
async fn a_concerns_agendas_name_each_meeting_and_agency_once() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let now = micros(Timestamp::now());
        let row = concern_row(7, now, now + 48 * H);
        concern::insert_concern(&mut tx, &row, &[]).await.unwrap();
        assert_eq!(
            concern::agendas(&mut tx, row.id).await.unwrap(),
            concern::Agendas::default()
        );
        let mut ids = Vec::new();
        for code in ["ssp", "dks"] {
            let a = organisation::agency_by_code(&mut tx, code).await.unwrap();
            ids.push(a.unwrap().id);
        }
        let (ssp, dks) = (ids[0], ids[1]);
        let mut meetings = Vec::new();
        // Inserted out of date order; the last attended by no agency.
        for (date, attending) in [
            ("2026-11-20", vec![ssp, dks]),
            ("2026-10-02", vec![dks]),
            ("2026-12-01", vec![]),
        ] {
            let m = meeting(&mut tx, date, &attending, now).await;
            assert!(triage::add_agenda_item(&mut tx, m, row.id).await.unwrap());
            meetings.push((m, date.to_string()));
        }
        meetings.sort_by(|a, b| a.1.cmp(&b.1));
        let mut agencies = vec![ssp, dks];
        agencies.sort_unstable();
        assert_eq!(
            concern::agendas(&mut tx, row.id).await.unwrap(),
            concern::Agendas { meetings, agencies },
            "{}",
            t.name
        );
        drop(tx);
        t.finish().await;
    }
}

/// A new meeting on this date, attended by these agencies: its id.
async fn meeting(tx: &mut vink_store::Authorized, date: &str, agencies: &[Uuid], now: i64) -> Uuid {
    let m = triage::MeetingRow {
        id: Uuid::now_v7(),
        meeting_date: date.into(),
        minutes: None,
        created_at: now,
        created_by: None,
    };
    triage::insert_meeting(tx, &m, agencies).await.unwrap();
    m.id
}

/// The counts a meeting counts by hand: the truth its kept counts are held to.
async fn counted(tx: &mut vink_store::Authorized, meeting: Uuid) -> vink_store::Result<(i64, i64)> {
    Ok(vink_store::on!(tx, |c| sqlx::query_as(
        "SELECT COUNT(*), COUNT(c.decided_at) FROM agenda_items ai
         JOIN concerns c ON c.id = ai.concern_id WHERE ai.meeting_id = $1"
    )
    .bind(meeting)
    .fetch_one(c)
    .await?))
}

/// A meeting's agenda size and decided count, kept by triggers (migration
/// 0030), equal the counts made by hand after every kind of change: an item
/// added for an open and for a decided concern, a decision, a reopening, and
/// a concern deleted by retention. A meeting without the concern is untouched.
#[tokio::test]
async fn a_meetings_kept_counts_follow_every_change() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let now = micros(Timestamp::now());
        let ssp = organisation::agency_by_code(&mut tx, "ssp")
            .await
            .unwrap()
            .unwrap()
            .id;
        let mut meetings = Vec::new();
        for date in ["2026-11-20", "2026-11-27"] {
            let m = meeting(&mut tx, date, &[ssp], now).await;
            meetings.push(m);
        }
        let (m, other) = (meetings[0], meetings[1]);
        let decided = |at: Option<i64>| decided_or_open(at, now + 48 * H);
        let (open, done) = (
            concern_row(11, now - 10 * H, now + 38 * H),
            ConcernRow {
                status: "decided".into(),
                decision: Some("unfounded".into()),
                decided_at: Some(now - 9 * H),
                ..concern_row(12, now - 10 * H, now + 38 * H)
            },
        );
        let third = concern_row(13, now - 10 * H, now + 38 * H);
        for c in [&open, &done, &third] {
            concern::insert_concern(&mut tx, c, &[]).await.unwrap();
        }
        let expect = |step: &str, want: (i64, i64), got: (i64, i64), truth: (i64, i64)| {
            assert_eq!((got, truth), (want, want), "{}: {step}", t.name);
        };
        let kept = async |tx: &mut vink_store::Authorized| {
            let (rows, _) = triage::list_meetings(tx, ConcernScope::All, 10, 0)
                .await
                .unwrap();
            let row = rows.iter().find(|r| r.id == m).unwrap();
            let other = rows.iter().find(|r| r.id == other).unwrap();
            assert_eq!((other.agenda_count, other.decided_count), (0, 0));
            (
                (row.agenda_count, row.decided_count),
                counted(tx, m).await.unwrap(),
            )
        };
        let (got, truth) = kept(&mut tx).await;
        expect("empty", (0, 0), got, truth);
        assert!(triage::add_agenda_item(&mut tx, m, open.id).await.unwrap());
        assert!(triage::add_agenda_item(&mut tx, m, done.id).await.unwrap());
        let (got, truth) = kept(&mut tx).await;
        expect("an open and a decided item", (2, 1), got, truth);
        triage::update_triage(&mut tx, open.id, &decided(Some(now - H)))
            .await
            .unwrap();
        let (got, truth) = kept(&mut tx).await;
        expect("decided", (2, 2), got, truth);
        triage::update_triage(&mut tx, done.id, &decided(None))
            .await
            .unwrap();
        let (got, truth) = kept(&mut tx).await;
        expect("reopened", (2, 1), got, truth);
        // A change of the decision that keeps the concern decided counts nothing.
        triage::update_triage(&mut tx, open.id, &decided(Some(now)))
            .await
            .unwrap();
        assert!(triage::add_agenda_item(&mut tx, m, third.id).await.unwrap());
        let (got, truth) = kept(&mut tx).await;
        expect("redecided, and a third item", (3, 1), got, truth);
        let gone = vink_store::retention::delete_concern(&mut tx, open.id, now + H)
            .await
            .unwrap();
        assert_eq!(gone.concerns, 1, "{}", t.name);
        let (got, truth) = kept(&mut tx).await;
        expect("a decided concern deleted", (2, 0), got, truth);
        drop(tx);
        t.finish().await;
    }
}

/// A received period on the decided concerns gives the same rows in the
/// same order (newest decision first), and the same count, whether the
/// walk goes down the decision order (SQLite, and where the planner
/// prefers it) or starts from the period's own range and sorts it
/// (`planned_for_values`, PostgreSQL).
#[tokio::test]
async fn a_received_period_lists_decided_concerns_alike_from_either_index() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let now = micros(Timestamp::now());
        // Received an hour apart; decided in the reverse order of receipt
        // for the odd ones, so that the two orders differ.
        for i in 0..12 {
            let mut r = concern_row(i + 1, now - (200 - i) * H, now - (150 - i) * H);
            r.status = "decided".into();
            r.decision = Some("no_action".into());
            r.decided_at = Some(if i % 2 == 1 {
                now - (100 + i) * H
            } else {
                now - (50 - i) * H
            });
            r.channel = if i % 3 == 0 { "email" } else { "hotline" }.into();
            concern::insert_concern(&mut tx, &r, &[]).await.unwrap();
        }
        let mut f = filter(now);
        f.received_from = Some(now - 197 * H);
        f.received_to = Some(now - 190 * H);
        f.channel = Some("hotline".into());
        f.limit = 3;
        let mut pages = Vec::new();
        for planned_for_values in [false, true] {
            f.planned_for_values = planned_for_values;
            f.after = None;
            let mut seen = Vec::new();
            let total = loop {
                let p = concern::list_concerns(&mut tx, ConcernScope::All, &f)
                    .await
                    .unwrap();
                seen.extend(p.rows.iter().map(|r| r.case_number.clone()));
                match p.next {
                    Some(c) => f.after = Some(c),
                    None => break p.total,
                }
            };
            pages.push((seen, total));
        }
        // Received in the period: i = 3..=9 (197 to 191 hours ago); by
        // hotline: not the multiples of three, so i = 4, 5, 7 and 8.
        let mut expected: Vec<(i64, String)> = (3..10)
            .filter(|i| i % 3 != 0)
            .map(|i| {
                let decided = if i % 2 == 1 {
                    now - (100 + i) * H
                } else {
                    now - (50 - i) * H
                };
                (decided, format!("K-2026-{:04}", i + 1))
            })
            .collect();
        expected.sort_by(|a, b| b.cmp(a));
        let expected: Vec<String> = expected.into_iter().map(|(_, c)| c).collect();
        assert_eq!(
            pages[0].0, expected,
            "{}: walking the decision order",
            t.name
        );
        assert_eq!(pages[1].0, expected, "{}: from the period's range", t.name);
        assert_eq!(expected.len(), 4);
        assert_eq!(pages[0].1, 4, "{}", t.name);
        assert_eq!(pages[1].1, 4, "{}", t.name);
        drop(tx);
        t.finish().await;
    }
}

/// The decided list ends its walk at the period's start, less the slack a
/// receipt may lie ahead of the clock: a concern received at the start and
/// decided within that slack "before" it is still listed, by either index;
/// a decision dated further before its receipt is refused by the database,
/// written new or later, so no row can fall outside the walk.
#[tokio::test]
async fn a_decision_before_its_receipt_is_listed_within_the_slack_and_refused_beyond() {
    use vink_store::concern::DECISION_SLACK_MICROS;
    use vink_store::triage::{TriageUpdate, update_triage};
    assert_eq!(
        Some(i128::from(DECISION_SLACK_MICROS)),
        Some(vink_domain::concern::FUTURE_SLACK.as_micros()),
        "the list's slack is the receipt's"
    );
    for t in common::backends().await {
        let now = micros(Timestamp::now());
        let from = now - 100 * H;
        let mut tx = common::auth(&t.db).await;
        let mut edge = concern_row(1, from, from + 48 * H);
        edge.status = "decided".into();
        edge.decision = Some("no_action".into());
        edge.decided_at = Some(from - DECISION_SLACK_MICROS);
        concern::insert_concern(&mut tx, &edge, &[]).await.unwrap();
        // Decided later, received before the period: walked past, not listed.
        let mut before = concern_row(2, from - H, from + 47 * H);
        before.status = "decided".into();
        before.decision = Some("no_action".into());
        before.decided_at = Some(from + H);
        concern::insert_concern(&mut tx, &before, &[])
            .await
            .unwrap();
        let mut f = filter(now);
        f.received_from = Some(from);
        // An hour long past (from the period's index where planned for
        // values), and everything since (the decision order, walked back).
        for to in [Some(from + H), None] {
            f.received_to = to;
            for planned_for_values in [false, true] {
                f.planned_for_values = planned_for_values;
                let (rows, total) = list(&mut tx, ConcernScope::All, &f).await;
                let listed: Vec<&str> = rows.iter().map(|r| r.case_number.as_str()).collect();
                let case = format!("{} {to:?} {planned_for_values}", t.name);
                assert_eq!(listed, ["K-2026-0001"], "{case}");
                assert_eq!(total, 1, "{case}");
            }
        }
        tx.commit().await.unwrap();

        let mut tx = common::auth(&t.db).await;
        let mut early = concern_row(3, from, from + 48 * H);
        early.status = "decided".into();
        early.decision = Some("no_action".into());
        early.decided_at = Some(from - DECISION_SLACK_MICROS - 1);
        // Inserts are sent at commit (`deferred`): the refusal comes there.
        let inserted = match concern::insert_concern(&mut tx, &early, &[]).await {
            Ok(()) => tx.commit().await.is_ok(),
            Err(_) => false,
        };
        assert!(!inserted, "{}: inserted", t.name);
        let mut tx = common::auth(&t.db).await;
        let open = concern_row(4, from, from + 48 * H);
        concern::insert_concern(&mut tx, &open, &[]).await.unwrap();
        let update = TriageUpdate {
            status: "decided".into(),
            decision: Some("no_action".into()),
            programme_kind: None,
            triage_deadline_at: open.triage_deadline_at,
            paused_at: None,
            decided_at: Some(from - 2 * DECISION_SLACK_MICROS),
        };
        assert!(
            update_triage(&mut tx, open.id, &update).await.is_err(),
            "{}: decided by update",
            t.name
        );
        drop(tx);
        t.finish().await;
    }
}

#[tokio::test]
async fn list_filters_sorts_and_scopes() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let now = micros(Timestamp::now());
        // 1: overdue; 2: due in 6 h; 3: due in 40 h; 4: paused while 2 h overdue; 5: decided.
        let mut rows = vec![
            concern_row(1, now - 50 * H, now - 2 * H),
            concern_row(2, now - 42 * H, now + 6 * H),
            concern_row(3, now - 8 * H, now + 40 * H),
            concern_row(4, now - 60 * H, now - 12 * H),
            concern_row(5, now - 100 * H, now - 52 * H),
        ];
        rows[3].paused_at = Some(now - 10 * H);
        rows[4].status = "decided".into();
        rows[4].decided_at = Some(now - 60 * H);
        for r in &rows {
            concern::insert_concern(&mut tx, r, &[]).await.unwrap();
        }
        let (all, total) = list(&mut tx, ConcernScope::All, &filter(now)).await;
        assert_eq!(total, 5);
        let order: Vec<&str> = all.iter().map(|r| r.case_number.as_str()).collect();
        // Paused #4's effective deadline is now-12h+10h = now-2h, tied with #1 and ordered by number.
        assert_eq!(
            order,
            [
                "K-2026-0001",
                "K-2026-0004",
                "K-2026-0002",
                "K-2026-0003",
                "K-2026-0005"
            ],
            "{}",
            t.name
        );

        // Keyset paging walks the same order, two at a time.
        let mut walked = Vec::new();
        let mut f = filter(now);
        f.limit = 2;
        loop {
            let p = concern::list_concerns(&mut tx, ConcernScope::All, &f)
                .await
                .unwrap();
            walked.extend(p.rows.iter().map(|r| r.case_number.clone()));
            match p.next {
                Some(c) => {
                    let text = c.encode();
                    f.after = Some(concern::ListCursor::decode(&text).unwrap());
                }
                None => break,
            }
        }
        assert_eq!(walked, order, "{}", t.name);

        let mut f = filter(now);
        f.due = Some(DueFilter::Overdue);
        let (over, _) = list(&mut tx, ConcernScope::All, &f).await;
        let over: Vec<&str> = over.iter().map(|r| r.case_number.as_str()).collect();
        assert_eq!(over, ["K-2026-0001", "K-2026-0004"], "{}", t.name);
        f.due = Some(DueFilter::DueSoon);
        let (soon, n) = list(&mut tx, ConcernScope::All, &f).await;
        assert_eq!(
            (soon[0].case_number.as_str(), n),
            ("K-2026-0002", 1),
            "{}",
            t.name
        );
        let mut f = filter(now);
        f.status = Some("decided".into());
        assert_eq!(list(&mut tx, ConcernScope::All, &f).await.1, 1);
        let mut f = filter(now);
        f.limit = 2;
        f.offset = 4;
        let (page, total) = list(&mut tx, ConcernScope::All, &f).await;
        assert_eq!((page.len(), total), (1, 5));

        let counts = concern::triage_counts(&mut tx, ConcernScope::All, now, now + 12 * H)
            .await
            .unwrap();
        assert_eq!(
            (
                counts.new,
                counts.open,
                counts.overdue,
                counts.due_soon,
                counts.paused
            ),
            (4, 4, 2, 1, 1),
            "{}",
            t.name
        );

        // Scope: a member of SSP sees only what is on an agenda SSP attends.
        let ssp = organisation::agency_by_code(&mut tx, "ssp")
            .await
            .unwrap()
            .unwrap()
            .id;
        let dks = organisation::agency_by_code(&mut tx, "dks")
            .await
            .unwrap()
            .unwrap()
            .id;
        let m = meeting(&mut tx, "2026-11-20", &[ssp], now).await;
        assert!(
            triage::add_agenda_item(&mut tx, m, rows[2].id)
                .await
                .unwrap()
        );
        assert!(
            !triage::add_agenda_item(&mut tx, m, rows[2].id)
                .await
                .unwrap()
        );
        let (seen, n) = list(&mut tx, ConcernScope::OnAgendaOfAgency(ssp), &filter(now)).await;
        assert_eq!((seen.len(), n, seen[0].id), (1, 1, rows[2].id));
        assert_eq!(
            list(&mut tx, ConcernScope::OnAgendaOfAgency(dks), &filter(now))
                .await
                .1,
            0
        );
        assert_eq!(
            list(&mut tx, ConcernScope::Nothing, &filter(now)).await.1,
            0
        );
        assert_eq!(
            concern::agendas(&mut tx, rows[2].id).await.unwrap(),
            concern::Agendas {
                meetings: vec![(m, "2026-11-20".into())],
                agencies: vec![ssp],
            }
        );
        let counts = concern::triage_counts(
            &mut tx,
            ConcernScope::OnAgendaOfAgency(ssp),
            now,
            now + 12 * H,
        )
        .await
        .unwrap();
        assert_eq!(counts.open, 1);
        let (meetings, n) =
            triage::list_meetings(&mut tx, ConcernScope::OnAgendaOfAgency(dks), 10, 0)
                .await
                .unwrap();
        assert_eq!((meetings.len(), n), (0, 0));
        let (meetings, _) =
            triage::list_meetings(&mut tx, ConcernScope::OnAgendaOfAgency(ssp), 10, 0)
                .await
                .unwrap();
        assert_eq!(meetings[0].agenda_count, 1);
        assert!(
            triage::set_recommendation(&mut tx, m, rows[2].id, "Mentor", Some(ssp), now, None)
                .await
                .unwrap()
        );
        let agenda = triage::agenda(&mut tx, m).await.unwrap();
        assert_eq!(agenda[0].recommendation.as_deref(), Some("Mentor"));
        assert_eq!(
            agenda[0].acting_agency_name.as_deref(),
            Some("SSP København")
        );
        tx.commit().await.unwrap();
        t.finish().await;
    }
}

#[tokio::test]
async fn persons_link_match_and_relink() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let now = micros(Timestamp::now());
        let c1 = concern_row(1, now, now + 10);
        let c2 = concern_row(2, now, now + 20);
        let key = Some("ali hansen|2008-01-02".to_string());
        let p = |name: &str, key: Option<String>| person::PersonRow {
            id: Uuid::now_v7(),
            name: Some(name.into()),
            birth: Some("2008-01-02".into()),
            district: None,
            match_key: key,
            created_at: now,
        };
        let (p1, p2) = (p("Ali Hansen", key.clone()), p("A. Hansen", key.clone()));
        let sibling = p("Sara Hansen", None);
        for row in [&p1, &p2, &sibling] {
            person::insert_person(&mut tx, row).await.unwrap();
        }
        concern::insert_concern(&mut tx, &c1, &[p1.id])
            .await
            .unwrap();
        concern::insert_concern(&mut tx, &c2, &[p2.id, sibling.id])
            .await
            .unwrap();
        // A list row names the first person and counts them all, from the
        // concern's own columns (migration 0029) written with the links.
        let summary = |rows: &[concern::ConcernListRow], id: Uuid| {
            rows.iter()
                .find(|r| r.id == id)
                .map(|r| (r.first_person.clone(), r.person_count))
        };
        let (rows, _) = list(&mut tx, ConcernScope::All, &filter(now)).await;
        assert_eq!(
            summary(&rows, c1.id),
            Some((Some("Ali Hansen".into()), 1)),
            "{}",
            t.name
        );
        assert_eq!(
            summary(&rows, c2.id),
            Some((Some("A. Hansen".into()), 2)),
            "{}",
            t.name
        );
        let cands = person::match_candidates(
            &mut tx,
            key.as_deref().unwrap(),
            p2.id,
            vink_domain::policy::ConcernScope::All,
        )
        .await
        .unwrap();
        assert_eq!(cands.len(), 1);
        assert_eq!((cands[0].id, cands[0].concern_count), (p1.id, 1));
        assert_eq!(cands[0].first_case_number.as_deref(), Some("K-2026-0001"));
        assert!(person::relink(&mut tx, c2.id, p2.id, p1.id).await.unwrap());
        assert!(
            !person::person_exists(&mut tx, p2.id).await.unwrap(),
            "orphan removed on {}",
            t.name
        );
        let linked = person::persons_of_concern(&mut tx, c2.id).await.unwrap();
        assert_eq!(
            linked.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![p1.id, sibling.id]
        );
        // The first person relinked: the list row names the record kept, not
        // the one removed, and still counts two.
        let (rows, _) = list(&mut tx, ConcernScope::All, &filter(now)).await;
        assert_eq!(
            summary(&rows, c2.id),
            Some((Some("Ali Hansen".into()), 2)),
            "{}",
            t.name
        );
        // Relinking the second person leaves the first as it was.
        let other = p("Sara B. Hansen", None);
        person::insert_person(&mut tx, &other).await.unwrap();
        assert!(
            person::relink(&mut tx, c2.id, sibling.id, other.id)
                .await
                .unwrap()
        );
        let (rows, _) = list(&mut tx, ConcernScope::All, &filter(now)).await;
        assert_eq!(
            summary(&rows, c2.id),
            Some((Some("Ali Hansen".into()), 2)),
            "{}",
            t.name
        );
        tx.commit().await.unwrap();
        // A person named twice on one concern fails its transaction.
        let mut tx = common::auth(&t.db).await;
        let c3 = concern_row(3, now, now + 30);
        concern::insert_concern(&mut tx, &c3, &[p1.id, p1.id])
            .await
            .unwrap();
        assert!(tx.commit().await.is_err(), "{}", t.name);
        t.finish().await;
    }
}

#[tokio::test]
async fn audit_chain_appends_and_verifies() {
    for t in common::backends().await {
        for i in 0..5 {
            let mut tx = t.db.begin().await.unwrap();
            let seq = audit::append_raw(
                &t.db,
                &mut tx,
                AuditFields {
                    seq: 0,
                    at: Timestamp::now() + SignedDuration::from_nanos(123),
                    actor_id: Some(Uuid::now_v7()),
                    actor_kind: "secretariat".into(),
                    action: "concern.read".into(),
                    record_type: Some("concern".into()),
                    record_id: Some(Uuid::now_v7()),
                    outcome: if i == 3 {
                        Outcome::Denied
                    } else {
                        Outcome::Allowed
                    },
                    reason: (i == 3).then(|| "role_not_permitted".into()),
                    client: (i % 2 == 0).then(|| "192.0.2.1".into()),
                },
            )
            .await
            .unwrap();
            assert_eq!(seq, i + 1);
            tx.commit().await.unwrap();
        }
        let mut tx = t.db.begin_read().await.unwrap();
        let rows = audit::rows_after(&mut tx, 0, 100).await.unwrap();
        let mut v = ChainVerifier::new(vink_domain::audit::Hashing::Keyed(common::key()));
        for r in &rows {
            v.check(&r.to_stored().unwrap()).unwrap();
        }
        let (seq, hash) = audit::head(&mut tx).await.unwrap();
        assert_eq!(v.finish(seq, &hash), Ok(5), "{}", t.name);
        let denied = audit::list(
            &mut tx,
            &audit::AuditFilter {
                outcome: Some(Outcome::Denied),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
        assert_eq!(denied.len(), 1);
        assert_eq!(denied[0].seq, 4);
        drop(tx);
        t.finish().await;
    }
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_no_audit_row() {
    for t in common::backends().await {
        let mut tx = t.db.begin().await.unwrap();
        let fields = AuditFields {
            seq: 0,
            at: Timestamp::now(),
            actor_id: None,
            actor_kind: "system".into(),
            action: "x".into(),
            record_type: None,
            record_id: None,
            outcome: Outcome::Allowed,
            reason: None,
            client: None,
        };
        audit::append_raw(&t.db, &mut tx, fields).await.unwrap();
        drop(tx);
        let mut tx = t.db.begin_read().await.unwrap();
        assert_eq!(audit::head(&mut tx).await.unwrap().0, 0, "{}", t.name);
        drop(tx);
        t.finish().await;
    }
}

#[tokio::test]
async fn users_sessions_and_tokens() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let now = micros(Timestamp::now());
        let u = user::UserRow {
            id: Uuid::now_v7(),
            username: "anna".into(),
            display_name: "Anna".into(),
            role: "secretariat".into(),
            agency_id: None,
            password_hash: "x".into(),
            active: true,
            created_at: now,
        };
        user::insert_user(&mut tx, &u).await.unwrap();
        tx.commit().await.unwrap();
        // A failed statement aborts a PostgreSQL transaction: try the duplicate alone.
        let mut dup = common::auth(&t.db).await;
        assert!(
            user::insert_user(&mut dup, &u)
                .await
                .unwrap_err()
                .is_unique_violation()
        );
        drop(dup);
        let mut tx = common::auth(&t.db).await;
        user::insert_session(&mut tx, "h1", u.id, "csrf", now, None)
            .await
            .unwrap();
        let s = user::session(&mut tx, "h1").await.unwrap().unwrap();
        assert_eq!(
            (s.username.as_str(), s.csrf_token.as_str(), s.active),
            ("anna", "csrf", true)
        );
        // Opened before its second factor, confirmed by the password now,
        // and the user has no factor yet.
        assert_eq!(
            (s.second_factor_at, s.confirmed_at, s.enrolled),
            (None, Some(now), false)
        );
        user::touch_session(&mut tx, "h1", now + 5).await.unwrap();
        assert_eq!(
            user::session(&mut tx, "h1")
                .await
                .unwrap()
                .unwrap()
                .last_seen_at,
            now + 5
        );
        assert_eq!(
            user::delete_idle_sessions(&mut tx, now + 6, now - 1_000_000)
                .await
                .unwrap(),
            1
        );
        assert!(user::session(&mut tx, "h1").await.unwrap().is_none());
        // The absolute lifetime ends an active session too.
        user::insert_session(&mut tx, "h2", u.id, "csrf", now, Some(now))
            .await
            .unwrap();
        assert_eq!(
            user::delete_idle_sessions(&mut tx, now - 1, now + 1)
                .await
                .unwrap(),
            1
        );
        user::insert_token(&mut tx, Uuid::now_v7(), u.id, "th", now, now + 100)
            .await
            .unwrap();
        assert_eq!(
            user::user_by_token(&mut tx, "th", now + 99)
                .await
                .unwrap()
                .unwrap()
                .id,
            u.id
        );
        assert!(
            user::user_by_token(&mut tx, "th", now + 100)
                .await
                .unwrap()
                .is_none(),
            "expired"
        );
        assert!(
            user::user_by_token(&mut tx, "nope", now)
                .await
                .unwrap()
                .is_none()
        );
        assert!(user::revoke_token(&mut tx, "th", now + 1).await.unwrap());
        assert!(
            user::user_by_token(&mut tx, "th", now + 2)
                .await
                .unwrap()
                .is_none(),
            "revoked"
        );
        assert_eq!(user::count_users(&mut tx).await.unwrap(), 1);
        drop(tx);
        t.finish().await;
    }
}

/// The index-driven list against a plain sort of every row, over a random mix
/// of running, paused and decided concerns with tied deadlines: the same order
/// whole, and the same order walked by keyset a few rows at a time.
#[tokio::test]
async fn the_list_order_equals_a_full_sort() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let now = micros(Timestamp::now());
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: i64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            i64::try_from(seed % u64::try_from(n).unwrap()).unwrap()
        };
        let mut rows = Vec::new();
        for i in 1..=60 {
            // Deadlines on a coarse grid, so ties are common.
            let mut r = concern_row(i, now - 100 * H, now + (next(10) - 5) * H);
            match next(3) {
                0 => r.paused_at = Some(now - next(8) * H),
                1 => {
                    r.status = "decided".into();
                    r.decided_at = Some(now - next(6) * H);
                }
                _ => {}
            }
            concern::insert_concern(&mut tx, &r, &[]).await.unwrap();
            rows.push(r);
        }
        let key = |r: &concern::ConcernRow| match (r.decided_at, r.paused_at) {
            (Some(d), _) => (1, -d, std::cmp::Reverse(r.case_number.clone())),
            (None, Some(p)) => (
                0,
                r.triage_deadline_at - p + now,
                std::cmp::Reverse(String::new()),
            ),
            (None, None) => (0, r.triage_deadline_at, std::cmp::Reverse(String::new())),
        };
        let mut expected = rows.clone();
        expected.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            (ka.0, ka.1).cmp(&(kb.0, kb.1)).then_with(|| {
                if ka.0 == 0 {
                    a.case_number.cmp(&b.case_number)
                } else {
                    b.case_number.cmp(&a.case_number)
                }
            })
        });
        let expected: Vec<String> = expected.into_iter().map(|r| r.case_number).collect();
        let mut f = filter(now);
        f.limit = 100;
        let (all, total) = list(&mut tx, ConcernScope::All, &f).await;
        assert_eq!(total, 60);
        let all: Vec<String> = all.into_iter().map(|r| r.case_number).collect();
        assert_eq!(all, expected, "{}", t.name);
        for page_size in [1, 7, 25] {
            let mut walked = Vec::new();
            let mut f = filter(now);
            f.limit = page_size;
            let mut last = (Vec::new(), None);
            loop {
                let p = concern::list_concerns(&mut tx, ConcernScope::All, &f)
                    .await
                    .unwrap();
                // Every page carries the whole list's total, however it was
                // read (with the first open rows, or counted on its own).
                assert_eq!(p.total, 60, "total by {page_size} on {}", t.name);
                let rows: Vec<String> = p.rows.into_iter().map(|r| r.case_number).collect();
                walked.extend(rows.iter().cloned());
                if !rows.is_empty() {
                    last = (rows, p.prev);
                }
                match p.next {
                    Some(c) => f.after = Some(c),
                    None => break,
                }
            }
            let (last_rows, last_prev) = last;
            assert_eq!(walked, expected, "keyset by {page_size} on {}", t.name);
            // And back from the last page by "previous" cursors.
            let mut back = last_rows;
            let mut cursor = last_prev;
            let mut f = filter(now);
            f.limit = page_size;
            while let Some(c) = cursor {
                f.before = Some(c);
                let p = concern::list_concerns(&mut tx, ConcernScope::All, &f)
                    .await
                    .unwrap();
                assert_eq!(p.rows.len() as i64, page_size, "full pages going back");
                let mut rows: Vec<String> = p.rows.into_iter().map(|r| r.case_number).collect();
                rows.extend(back);
                back = rows;
                cursor = p.prev;
            }
            assert_eq!(back, expected, "back by {page_size} on {}", t.name);
            // And by page numbers.
            let mut paged = Vec::new();
            for page in 0.. {
                let mut f = filter(now);
                f.limit = page_size;
                f.offset = page * page_size;
                let (rows, _) = list(&mut tx, ConcernScope::All, &f).await;
                if rows.is_empty() {
                    break;
                }
                paged.extend(rows.into_iter().map(|r| r.case_number));
            }
            assert_eq!(paged, expected, "pages of {page_size} on {}", t.name);
        }
        drop(tx);
        t.finish().await;
    }
}

/// A filtered list's decided history is counted only up to a cap ("at
/// least"), open concerns always exactly; paging on by cursor goes past the
/// cap. (The unfiltered list reads the tally: see the next test.)
#[tokio::test]
async fn the_decided_count_stops_at_its_cap_and_paging_goes_on() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let now = micros(Timestamp::now());
        let extra = 5;
        let n = concern::DECIDED_COUNT_CAP + extra;
        for i in 0..n {
            let mut row = concern_row(i + 1, now - 100 * H, now - 52 * H);
            row.status = "decided".into();
            row.decision = Some("no_action".into());
            row.decided_at = Some(now - 60 * H + i);
            concern::insert_concern(&mut tx, &row, &[]).await.unwrap();
        }
        let open = concern_row(n + 1, now, now + 48 * H);
        concern::insert_concern(&mut tx, &open, &[]).await.unwrap();
        let mut f = filter(now);
        f.limit = 500;
        f.channel = Some("hotline".into());
        let p = concern::list_concerns(&mut tx, ConcernScope::All, &f)
            .await
            .unwrap();
        assert!(p.total_capped, "{}", t.name);
        assert_eq!(p.total, concern::DECIDED_COUNT_CAP + 1, "{}", t.name);
        let mut seen = p.rows.len() as i64;
        let mut next = p.next;
        while let Some(c) = next {
            f.after = Some(c);
            let p = concern::list_concerns(&mut tx, ConcernScope::All, &f)
                .await
                .unwrap();
            seen += p.rows.len() as i64;
            next = p.next;
        }
        assert_eq!(
            seen,
            n + 1,
            "every row reachable past the cap on {}",
            t.name
        );
        drop(tx);
        t.finish().await;
    }
}

/// A concern's triage columns: decided `unfounded` at `decided_at`, or open
/// (received) again when it is `None`.
fn decided_or_open(decided_at: Option<i64>, deadline: i64) -> triage::TriageUpdate {
    triage::TriageUpdate {
        status: if decided_at.is_some() {
            "decided"
        } else {
            "received"
        }
        .into(),
        decision: decided_at.map(|_| "unfounded".into()),
        programme_kind: None,
        triage_deadline_at: deadline,
        paused_at: None,
        decided_at,
    }
}

/// The whole list (every concern, no filter) is counted exactly past the
/// cap, from the tally the database keeps: through an intake, a decision, a
/// reopening and a deletion it stays equal to a count of the table.
#[tokio::test]
async fn the_whole_lists_total_is_exact_from_the_tally_through_every_change() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let now = micros(Timestamp::now());
        let n = concern::DECIDED_COUNT_CAP + 3;
        let mut decided = Vec::new();
        for i in 0..n {
            let mut row = concern_row(i + 1, now - 100 * H, now - 52 * H);
            row.status = "decided".into();
            row.decision = Some("unfounded".into());
            row.decided_at = Some(now - 60 * H + i);
            decided.push(row.id);
            concern::insert_concern(&mut tx, &row, &[]).await.unwrap();
        }
        let open = concern_row(n + 1, now, now + 48 * H);
        concern::insert_concern(&mut tx, &open, &[]).await.unwrap();
        let f = filter(now);
        let whole = async |tx: &mut vink_store::Authorized, step: &str| {
            let p = concern::list_concerns(tx, ConcernScope::All, &f)
                .await
                .unwrap();
            let counted = concern::count_concerns(tx).await.unwrap();
            assert!(!p.total_capped, "{step} on {}", t.name);
            assert_eq!(p.total, counted, "{step} on {}", t.name);
            counted
        };
        assert_eq!(whole(&mut tx, "inserted").await, n + 1);
        let decide = |decided_at| decided_or_open(decided_at, now + 48 * H);
        triage::update_triage(&mut tx, open.id, &decide(Some(now)))
            .await
            .unwrap();
        whole(&mut tx, "decided").await;
        triage::update_triage(&mut tx, decided[0], &decide(None))
            .await
            .unwrap();
        whole(&mut tx, "reopened").await;
        let gone = vink_store::retention::delete_concern(&mut tx, decided[1], now)
            .await
            .unwrap();
        assert_eq!(gone.concerns, 1, "{}", t.name);
        assert_eq!(whole(&mut tx, "deleted").await, n);
        tx.commit().await.unwrap();
        t.finish().await;
    }
}

/// Decisions racing on PostgreSQL each move a concern from the undecided
/// to the decided count of their backend's tally row: none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_decisions_keep_the_tally_exact() {
    for t in common::backends().await {
        let now = micros(Timestamp::now());
        let mut tx = common::auth(&t.db).await;
        let mut ids = Vec::new();
        for i in 0..16 {
            let row = concern_row(i + 1, now, now + 48 * H);
            ids.push(row.id);
            concern::insert_concern(&mut tx, &row, &[]).await.unwrap();
        }
        tx.commit().await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for id in ids {
            let db = t.db.clone();
            tasks.spawn(async move {
                let mut tx = common::auth(&db).await;
                let u = decided_or_open(Some(now), now + 48 * H);
                triage::update_triage(&mut tx, id, &u).await.unwrap();
                tx.commit().await.unwrap();
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        let mut tx = common::auth(&t.db).await;
        let p = concern::list_concerns(&mut tx, ConcernScope::All, &filter(now))
            .await
            .unwrap();
        assert_eq!((p.total, p.rows.len()), (16, 16), "{}", t.name);
        let mut decided_only = filter(now);
        decided_only.status = Some("decided".into());
        let d = concern::list_concerns(&mut tx, ConcernScope::All, &decided_only)
            .await
            .unwrap();
        assert_eq!(d.total, 16, "every decision counted on {}", t.name);
        drop(tx);
        t.finish().await;
    }
}

/// Two meetings, each with the same sixteen concerns on its agenda, and the
/// sixteen decided at once on PostgreSQL: every decision adds to both
/// meetings (locked in the order of their ids, so no two decisions
/// deadlock), and both counts end exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_decisions_keep_the_meeting_counts_exact() {
    for t in common::postgres_only().await {
        let now = micros(Timestamp::now());
        let mut tx = common::auth(&t.db).await;
        let mut meetings = Vec::new();
        for date in ["2026-11-20", "2026-11-27"] {
            let m = meeting(&mut tx, date, &[], now).await;
            meetings.push(m);
        }
        let mut ids = Vec::new();
        for i in 0..16 {
            let row = concern_row(i + 1, now, now + 48 * H);
            concern::insert_concern(&mut tx, &row, &[]).await.unwrap();
            // Half onto the later meeting first: the order of the items
            // does not decide the order of the locks.
            let (a, b) = if i % 2 == 0 { (0, 1) } else { (1, 0) };
            for m in [meetings[a], meetings[b]] {
                assert!(triage::add_agenda_item(&mut tx, m, row.id).await.unwrap());
            }
            ids.push(row.id);
        }
        tx.commit().await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for id in ids {
            let db = t.db.clone();
            tasks.spawn(async move {
                let mut tx = common::auth(&db).await;
                let u = decided_or_open(Some(now), now + 48 * H);
                triage::update_triage(&mut tx, id, &u).await?;
                tx.commit().await
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap().expect("no decision fails, none deadlocks");
        }
        let mut tx = common::auth(&t.db).await;
        let (rows, _) = triage::list_meetings(&mut tx, ConcernScope::All, 10, 0)
            .await
            .unwrap();
        for m in meetings {
            let row = rows.iter().find(|r| r.id == m).unwrap();
            assert_eq!((row.agenda_count, row.decided_count), (16, 16));
            assert_eq!(counted(&mut tx, m).await.unwrap(), (16, 16));
        }
        drop(tx);
        t.finish().await;
    }
}

/// An agenda item added while its concern is being decided, on PostgreSQL,
/// in either order: the second waits for the first to commit (the agenda's
/// trigger reads the concern `FOR SHARE`), and sees what it did, so the
/// meeting counts the decision exactly once. Without that lock the decision
/// would not wait for the item (the foreign key's lock lets it through),
/// and its trigger would not see the item.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agenda_item_and_its_concerns_decision_racing_count_it_once() {
    for t in common::postgres_only().await {
        for item_first in [true, false] {
            let now = micros(Timestamp::now());
            let mut tx = common::auth(&t.db).await;
            let m = meeting(&mut tx, "2026-11-20", &[], now).await;
            let row = concern_row(if item_first { 1 } else { 2 }, now, now + 48 * H);
            concern::insert_concern(&mut tx, &row, &[]).await.unwrap();
            tx.commit().await.unwrap();

            let (mid, cid) = (m, row.id);
            let add = async move |db: vink_store::Db| {
                let mut tx = common::auth(&db).await;
                assert!(triage::add_agenda_item(&mut tx, mid, cid).await.unwrap());
                tx
            };
            let decide = async move |db: vink_store::Db| {
                let mut tx = common::auth(&db).await;
                let u = decided_or_open(Some(now), now + 48 * H);
                triage::update_triage(&mut tx, cid, &u).await.unwrap();
                tx
            };
            let first = if item_first {
                add(t.db.clone()).await
            } else {
                decide(t.db.clone()).await
            };
            let db = t.db.clone();
            let second = tokio::spawn(async move {
                let tx = if item_first {
                    decide(db).await
                } else {
                    add(db).await
                };
                tx.commit().await.unwrap();
            });
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            assert!(
                !second.is_finished(),
                "the second waits for the first (item first: {item_first})"
            );
            first.commit().await.unwrap();
            second.await.unwrap();
            let mut tx = common::auth(&t.db).await;
            assert_eq!(
                counted(&mut tx, mid).await.unwrap(),
                (1, 1),
                "item first: {item_first}"
            );
            let (rows, _) = triage::list_meetings(&mut tx, ConcernScope::All, 10, 0)
                .await
                .unwrap();
            let row = rows.iter().find(|r| r.id == mid).unwrap();
            assert_eq!(
                (row.agenda_count, row.decided_count),
                (1, 1),
                "item first: {item_first}"
            );
            drop(tx);
        }
        t.finish().await;
    }
}

/// Intakes and decisions racing on PostgreSQL, 16 connections at once, each
/// add to the tally row of their own backend (two backends may share one,
/// then one waits for the other's commit): the whole list's total, read from
/// the tally, still equals a count of the table, and its open part is exact,
/// so a page by number starts the decided concerns where they start.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_intakes_keep_the_tally_exact() {
    for t in common::backends().await {
        let now = micros(Timestamp::now());
        let mut tasks = tokio::task::JoinSet::new();
        for task in 0..16_i64 {
            let db = t.db.clone();
            tasks.spawn(async move {
                for k in 0..3 {
                    let mut tx = common::auth(&db).await;
                    let row = concern_row(task * 3 + k + 1, now, now + 48 * H);
                    concern::insert_concern(&mut tx, &row, &[]).await.unwrap();
                    if k == 0 {
                        let u = decided_or_open(Some(now + task), now + 48 * H);
                        triage::update_triage(&mut tx, row.id, &u).await.unwrap();
                    }
                    tx.commit().await.unwrap();
                }
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        let mut tx = common::auth(&t.db).await;
        let mut f = filter(now);
        f.limit = 100;
        let p = concern::list_concerns(&mut tx, ConcernScope::All, &f)
            .await
            .unwrap();
        assert_eq!(concern::count_concerns(&mut tx).await.unwrap(), 48);
        assert_eq!((p.total, p.total_capped), (48, false), "{}", t.name);
        f.offset = 32;
        let decided = concern::list_concerns(&mut tx, ConcernScope::All, &f)
            .await
            .unwrap();
        assert_eq!(decided.rows.len(), 16, "{}", t.name);
        assert!(
            decided.rows.iter().all(|r| r.decided_at.is_some()),
            "past the 32 open concerns only decided ones on {}",
            t.name
        );
        drop(tx);
        t.finish().await;
    }
}

/// The dashboard's urgent cases are read without the list's counts: the
/// same first rows, in the same order, as the list under the same filter
/// (open concerns only, running and paused merged by deadline).
#[tokio::test]
async fn open_concerns_are_the_lists_first_rows_without_counting() {
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let now = micros(Timestamp::now());
        for i in 0..12 {
            let mut r = concern_row(i + 1, now - 100 * H, now + (i % 5 - 2) * H);
            r.immediate_danger = i % 2 == 0;
            match i % 4 {
                0 => r.paused_at = Some(now - (i % 3) * H),
                1 => {
                    r.status = "decided".into();
                    r.decided_at = Some(now - H);
                }
                _ => {}
            }
            concern::insert_concern(&mut tx, &r, &[]).await.unwrap();
        }
        let filters: Vec<concern::ConcernFilter> = [
            (true, None),
            (false, Some(concern::DueFilter::Overdue)),
            (false, Some(concern::DueFilter::DueSoon)),
        ]
        .into_iter()
        .map(|(danger, due)| {
            let mut f = filter(now);
            f.danger = danger;
            f.due = due;
            f.soon_until = now + 12 * H;
            f.limit = 3;
            f
        })
        .collect();
        // All three lists in one statement, each its own list's first rows.
        let each = concern::open_concerns_each(&mut tx, ConcernScope::All, &filters)
            .await
            .unwrap();
        assert_eq!(each.len(), filters.len());
        for (f, open) in filters.iter().zip(&each) {
            let listed = concern::list_concerns(&mut tx, ConcernScope::All, f)
                .await
                .unwrap();
            let ids = |rows: &[concern::ConcernListRow]| -> Vec<String> {
                rows.iter().map(|r| r.case_number.clone()).collect()
            };
            let (danger, due) = (f.danger, f.due);
            assert!(!open.is_empty(), "{danger} {due:?} on {}", t.name);
            assert_eq!(
                ids(open),
                ids(&listed.rows),
                "{danger} {due:?} on {}",
                t.name
            );
        }
        // The dashboard's one statement: the same lists, and the counts
        // the counts' own statement gives; with no urgent row to carry
        // them (every list cut to nothing), the counts still.
        let counts = concern::triage_counts(&mut tx, ConcernScope::All, now, now + 12 * H)
            .await
            .unwrap();
        assert!(counts.open > 0 && counts.overdue > 0, "{counts:?}");
        let (with_rows, lists) =
            concern::dashboard(&mut tx, ConcernScope::All, &filters, now, now + 12 * H)
                .await
                .unwrap();
        assert_eq!(with_rows, counts, "on {}", t.name);
        let ids = |lists: &[Vec<concern::ConcernListRow>]| -> Vec<Vec<Uuid>> {
            lists
                .iter()
                .map(|l| l.iter().map(|r| r.id).collect())
                .collect()
        };
        assert_eq!(ids(&lists), ids(&each), "on {}", t.name);
        let none: Vec<concern::ConcernFilter> = filters
            .iter()
            .map(|f| concern::ConcernFilter {
                limit: 0,
                ..f.clone()
            })
            .collect();
        let (alone, lists) =
            concern::dashboard(&mut tx, ConcernScope::All, &none, now, now + 12 * H)
                .await
                .unwrap();
        assert_eq!(alone, counts, "on {}", t.name);
        assert!(lists.iter().all(Vec::is_empty));
        drop(tx);
        t.finish().await;
    }
}

/// On PostgreSQL the list plans its counts and open concerns once (generic
/// plans), but a page of decided concerns, or of all concerns by receipt,
/// for its LIMIT: a generic plan cannot see the LIMIT and chose a parallel
/// scan, a sort and JIT on the national data set (100 ms a page instead of
/// 2 ms). The plan test explains with scans switched off, so it cannot see
/// that; this checks the switch is made.
#[tokio::test]
async fn a_page_of_decided_concerns_is_planned_for_its_limit() {
    for t in common::postgres_only().await {
        let mut tx = common::auth(&t.db).await;
        let now = micros(Timestamp::now());
        for i in 0..3 {
            let mut row = concern_row(i + 1, now - 100 * H, now - 52 * H);
            row.status = "decided".into();
            row.decision = Some("no_action".into());
            row.decided_at = Some(now - 60 * H + i);
            concern::insert_concern(&mut tx, &row, &[]).await.unwrap();
        }
        for i in 3..5 {
            concern::insert_concern(&mut tx, &concern_row(i + 1, now, now + 48 * H), &[])
                .await
                .unwrap();
        }
        vink_store::query_plan::generic_plans(&mut tx)
            .await
            .unwrap();
        let mut f = filter(now);
        f.limit = 2;
        let p = concern::list_concerns(&mut tx, ConcernScope::All, &f)
            .await
            .unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!(
            plan_cache_mode(&mut tx).await,
            "force_generic_plan",
            "open only"
        );
        f.limit = 4;
        let p = concern::list_concerns(&mut tx, ConcernScope::All, &f)
            .await
            .unwrap();
        assert_eq!(p.rows.len(), 4);
        assert_eq!(
            plan_cache_mode(&mut tx).await,
            "force_custom_plan",
            "decided too"
        );
        vink_store::query_plan::generic_plans(&mut tx)
            .await
            .unwrap();
        concern::list_by_received(&mut tx, ConcernScope::All, &f, &concern::ReceivedAt::Offset)
            .await
            .unwrap();
        assert_eq!(
            plan_cache_mode(&mut tx).await,
            "force_custom_plan",
            "by receipt"
        );
        // The course list: a generic plan of its ended stream could not see
        // the page's LIMIT or the agency (7-11 ms on L, 1 ms planned), so a
        // list under a scope or filter, or starting in the ended stream, is
        // planned for its values; the secretariat's whole list, whose active
        // and planned streams are small, plans once (planning was 0.6 ms of
        // a 1 ms statement on M).
        use vink_domain::policy::CourseScope;
        let ended = vink_store::course::CourseFilter {
            status: Some("completed".into()),
            ..Default::default()
        };
        let agency = vink_store::course::CourseFilter {
            agency: Some(Uuid::now_v7()),
            ..Default::default()
        };
        for (scope, filter, mode, what) in [
            (
                CourseScope::All,
                Default::default(),
                "force_generic_plan",
                "whole list",
            ),
            (
                CourseScope::Agency(Uuid::now_v7()),
                Default::default(),
                "force_custom_plan",
                "an agency's",
            ),
            (
                CourseScope::All,
                agency,
                "force_custom_plan",
                "one agency's courses",
            ),
            (
                CourseScope::All,
                ended,
                "force_custom_plan",
                "ended courses",
            ),
        ] {
            let other = if mode == "force_generic_plan" {
                vink_store::query_plan::custom_plans(&mut tx).await
            } else {
                vink_store::query_plan::generic_plans(&mut tx).await
            };
            other.unwrap();
            vink_store::course::list_courses(&mut tx, scope, &filter, 25, 0)
                .await
                .unwrap();
            assert_eq!(plan_cache_mode(&mut tx).await, mode, "courses: {what}");
        }
        drop(tx);
        t.finish().await;
    }
}

async fn plan_cache_mode(tx: &mut vink_store::Authorized) -> String {
    tx_plan_cache_mode(tx).await
}

async fn tx_plan_cache_mode(tx: &mut vink_store::Tx) -> String {
    show(tx, "plan_cache_mode").await
}

/// A PostgreSQL setting as the transaction sees it.
async fn show(tx: &mut vink_store::Tx, setting: &'static str) -> String {
    let vink_store::Tx::Pg(c) = tx else {
        unreachable!("PostgreSQL only")
    };
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SHOW {setting}")))
        .fetch_one(&mut **c)
        .await
        .unwrap()
}

/// The application's PostgreSQL connections run without JIT (a page's
/// generic plan could pass `jit_above_cost` and compile for 15-35 ms), unless
/// the URL's own `options` say otherwise.
#[tokio::test]
async fn postgres_connections_run_without_jit_unless_the_url_says() {
    for t in common::backends().await {
        if t.db.backend() == vink_store::Backend::Postgres {
            let mut tx = t.db.begin_read().await.unwrap();
            assert_eq!(show(&mut tx, "jit").await, "off");
            tx.commit().await.unwrap();
            let own = format!("{}?options=-c%20jit%3Don", t.url);
            let db = vink_store::Db::connect(&own).await.unwrap();
            let mut tx = db.begin_read().await.unwrap();
            assert_eq!(show(&mut tx, "jit").await, "on");
            tx.commit().await.unwrap();
            db.close().await;
        }
        t.finish().await;
    }
}

/// A planned read plans once (on PostgreSQL the session's own setting, see
/// `a_planned_read_begins_only_when_a_setting_needs_it`), and only it: a
/// transaction on the same pooled connections plans as PostgreSQL decides,
/// said with its `BEGIN`. On SQLite it is a plain read.
#[tokio::test]
async fn a_planned_read_plans_once_and_only_for_itself() {
    for t in common::backends().await {
        let mut tx = t.db.begin_read_planned().await.unwrap();
        if t.db.backend() == vink_store::Backend::Postgres {
            assert_eq!(tx_plan_cache_mode(&mut tx).await, "force_generic_plan");
            tx.commit().await.unwrap();
            // Every pooled connection in turn: none keeps the setting.
            let mut held = Vec::new();
            for _ in 0..4 {
                let mut tx = t.db.begin_read().await.unwrap();
                assert_eq!(tx_plan_cache_mode(&mut tx).await, "auto");
                held.push(tx);
            }
        } else {
            let n: i64 = match &mut tx {
                vink_store::Tx::Sqlite(c) => sqlx::query_scalar("SELECT COUNT(*) FROM concerns")
                    .fetch_one(&mut **c)
                    .await
                    .unwrap(),
                vink_store::Tx::Pg(_) => unreachable!("SQLite here"),
            };
            assert_eq!(n, 0);
            tx.commit().await.unwrap();
        }
        t.finish().await;
    }
}

/// A read's plan setting is what its last request said, however it began
/// and whoever set it: a function asks for the mode it needs, and a request
/// for the mode already set sends nothing (the transaction remembers it),
/// so the memory must follow every way the setting changes.
#[tokio::test]
async fn a_reads_plan_setting_follows_every_change() {
    use vink_store::query_plan::{custom_plans, generic_plans};
    for t in common::postgres_only().await {
        let mut tx = t.db.begin_read_custom().await.unwrap();
        assert_eq!(tx_plan_cache_mode(&mut tx).await, "force_custom_plan");
        custom_plans(&mut tx).await.unwrap();
        assert_eq!(tx_plan_cache_mode(&mut tx).await, "force_custom_plan");
        generic_plans(&mut tx).await.unwrap();
        assert_eq!(tx_plan_cache_mode(&mut tx).await, "force_generic_plan");
        custom_plans(&mut tx).await.unwrap();
        assert_eq!(tx_plan_cache_mode(&mut tx).await, "force_custom_plan");
        tx.commit().await.unwrap();
        // A search sets its own (custom, and serial plans).
        let mut tx = t.db.begin_read_planned().await.unwrap();
        vink_store::search::plan_for_values(&mut tx).await.unwrap();
        assert_eq!(tx_plan_cache_mode(&mut tx).await, "force_custom_plan");
        generic_plans(&mut tx).await.unwrap();
        assert_eq!(tx_plan_cache_mode(&mut tx).await, "force_generic_plan");
        tx.commit().await.unwrap();
        // A plain read starts at PostgreSQL's own setting.
        let mut tx = t.db.begin_read().await.unwrap();
        assert_eq!(tx_plan_cache_mode(&mut tx).await, "auto");
        generic_plans(&mut tx).await.unwrap();
        assert_eq!(tx_plan_cache_mode(&mut tx).await, "force_generic_plan");
        tx.commit().await.unwrap();
        t.finish().await;
    }
}

/// A transaction whose `BEGIN` is cancelled on its way (a client that goes
/// away, a timeout) must not leave its pooled connection inside a
/// transaction that the pool does not know about: the next one-statement
/// read would run in it, and the connection would then idle in the pool
/// holding that read's locks (blocking migrations and DDL), or be cut by an
/// `idle_in_transaction_session_timeout` under the next request. sqlx
/// queues no rollback for an outermost `BEGIN` cancelled before its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_begin_leaves_no_transaction_open() {
    for t in common::postgres_only().await {
        // Poll `begin` a few times, then drop it: somewhere in 1..=300 polls
        // lies the moment its BEGIN is sent and its answer not yet read. After
        // each, a one-statement read, held while another connection looks at
        // its state.
        use sqlx::Connection;
        let mut observer = sqlx::PgConnection::connect(&t.url).await.unwrap();
        let mut left_open = 0;
        for polls in 1..=300 {
            drop_after_polls(t.db.begin(), polls).await;
            let mut tx = t.db.read_one().await.unwrap();
            let vink_store::Tx::Pg(c) = &mut tx else {
                unreachable!("PostgreSQL only")
            };
            let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                .fetch_one(&mut **c)
                .await
                .unwrap();
            let state: Option<String> =
                sqlx::query_scalar("SELECT state FROM pg_stat_activity WHERE pid = $1")
                    .bind(pid)
                    .fetch_one(&mut observer)
                    .await
                    .unwrap();
            if state.as_deref() != Some("idle") {
                left_open += 1;
            }
        }
        assert_eq!(
            left_open, 0,
            "reads that ran inside a cancelled transaction"
        );
        t.finish().await;
    }
}

/// A planned read on PostgreSQL sends no `BEGIN`: each statement is its own
/// transaction, planned once by the session's setting. A setting for the
/// rest of the read (a page of ended courses, a search) begins its
/// transaction then; committed or dropped, the read hands its connection
/// back outside any transaction and at the session's setting again. A
/// read cancelled while that `BEGIN` is on its way never leaves a pooled
/// connection inside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planned_read_begins_only_when_a_setting_needs_it() {
    use vink_store::query_plan::custom_plans;
    for t in common::postgres_only().await {
        let mut tx = t.db.begin_read_planned().await.unwrap();
        assert!(own_transaction(&mut tx).await, "a planned read began");
        assert_eq!(tx_plan_cache_mode(&mut tx).await, "force_generic_plan");
        custom_plans(&mut tx).await.unwrap();
        assert!(!own_transaction(&mut tx).await, "the setting began none");
        assert_eq!(tx_plan_cache_mode(&mut tx).await, "force_custom_plan");
        tx.commit().await.unwrap();
        // Dropped inside the transaction its setting began.
        let mut tx = t.db.begin_read_planned().await.unwrap();
        custom_plans(&mut tx).await.unwrap();
        drop(tx);
        // Cancelled on the way, at every point.
        for polls in 1..=100 {
            let mut tx = t.db.begin_read_planned().await.unwrap();
            drop_after_polls(custom_plans(&mut tx), polls).await;
        }
        // Every pooled connection in turn: outside a transaction, planning once.
        let mut held = Vec::new();
        for _ in 0..10 {
            let mut tx = t.db.begin_read_planned().await.unwrap();
            assert!(own_transaction(&mut tx).await, "a connection left inside");
            assert_eq!(tx_plan_cache_mode(&mut tx).await, "force_generic_plan");
            held.push(tx);
        }
        for tx in held {
            tx.commit().await.unwrap();
        }
        t.finish().await;
    }
}

/// Whether each statement runs in a transaction of its own: two statements
/// of one transaction share its start time (`now()`).
async fn own_transaction(tx: &mut vink_store::Tx) -> bool {
    let vink_store::Tx::Pg(c) = tx else {
        unreachable!("PostgreSQL only")
    };
    let mut starts = Vec::new();
    for _ in 0..2 {
        let start: String = sqlx::query_scalar("SELECT now()::text FROM pg_sleep(0.002)")
            .fetch_one(&mut **c)
            .await
            .unwrap();
        starts.push(start);
    }
    starts[0] != starts[1]
}

/// The same on SQLite's readers: a read transaction cancelled on its way
/// never leaves a pooled reader inside a transaction (the next `BEGIN` on
/// it would fail). Today sqlx's SQLite driver keeps its own count right
/// (about a quarter of the 300 are cancelled mid-way, and the test passes
/// even without `after_release`); this holds it to that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_read_leaves_no_sqlite_reader_in_a_transaction() {
    let t = common::sqlite().await;
    let mut left_open = 0;
    for polls in 1..=300 {
        drop_after_polls(t.db.begin_read(), polls).await;
        let mut tx = t.db.read_one().await.unwrap();
        let vink_store::Tx::Sqlite(vink_store::SqliteTx::Read(c)) = &mut tx else {
            unreachable!("a SQLite reader")
        };
        if sqlx::query("BEGIN").execute(&mut **c).await.is_err() {
            left_open += 1;
        } else {
            sqlx::query("ROLLBACK").execute(&mut **c).await.unwrap();
        }
    }
    assert_eq!(left_open, 0, "readers left inside a cancelled transaction");
    t.finish().await;
}

/// Polls `fut` up to `polls` times, yielding between polls, then drops it:
/// a request cancelled somewhere on its way.
async fn drop_after_polls<F: std::future::Future>(fut: F, polls: usize) {
    let mut fut = std::pin::pin!(fut);
    for _ in 0..polls {
        let ready =
            std::future::poll_fn(|cx| std::task::Poll::Ready(fut.as_mut().poll(cx).is_ready()))
                .await;
        if ready {
            return;
        }
        tokio::task::yield_now().await;
    }
}

/// The rarest typed word drives a name search: the bounded probe ranks
/// words below its cap on both databases; when several words pass the cap,
/// PostgreSQL's estimate ranks them (SQLite keeps the typed order, longest
/// first: it has no statistics to ask).
#[tokio::test]
async fn the_rarest_name_word_leads_a_search() {
    use vink_domain::search::SearchQuery;
    use vink_store::search;
    for t in common::backends().await {
        let mut tx = common::auth(&t.db).await;
        let add = |name: &'static str, n: usize| {
            (0..n)
                .map(|_| person::PersonRow {
                    id: Uuid::now_v7(),
                    name: Some(name.into()),
                    birth: None,
                    district: None,
                    match_key: None,
                    created_at: 1,
                })
                .collect::<Vec<_>>()
        };
        let mut rows = add("Ib Andersen", 3);
        rows.extend(add("Karl Andersen", 40));
        // Past the probe's cap (2 000) both: 2 100 and 3 100.
        rows.extend(add("Bo Nielsen", 2_100));
        rows.extend(add("Kim Nielsen", 1_000));
        for p in &rows {
            person::insert_person(&mut tx, p).await.unwrap();
        }
        let first = |q: &SearchQuery| match q {
            SearchQuery::Name(words) => words[0].prefixes[0].clone(),
            _ => unreachable!("a name query"),
        };
        let typed = SearchQuery::parse("Andersen Ib").unwrap();
        assert_eq!(first(&typed), "andersen", "longest first as parsed");
        let ranked = search::rarest_first(&mut tx, typed).await.unwrap();
        assert_eq!(first(&ranked), "ib", "{}", t.name);

        let typed = SearchQuery::parse("Nielsen Bo").unwrap();
        assert_eq!(first(&typed), "nielsen");
        let unranked = search::rarest_first(&mut tx, typed.clone()).await.unwrap();
        if let vink_store::Tx::Pg(c) = &mut *tx {
            // The rows are flushed (the probe read them); give the planner
            // their statistics, as autovacuum would.
            sqlx::query("ANALYZE person_name_tokens")
                .execute(&mut **c)
                .await
                .unwrap();
            let ranked = search::rarest_first(&mut tx, typed).await.unwrap();
            assert_eq!(first(&ranked), "bo", "the smaller estimate leads");
        } else {
            assert_eq!(first(&unranked), "nielsen", "typed order on {}", t.name);
        }
        drop(tx);
        t.finish().await;
    }
}

/// A search transaction on PostgreSQL plans for its values and without
/// parallel workers (a parallel course search built its hash once per
/// worker), and only that transaction: the next one on the connection plans
/// as PostgreSQL decides again.
#[tokio::test]
async fn a_search_plans_for_its_values_serially_and_only_for_itself() {
    for t in common::postgres_only().await {
        let mut tx = t.db.begin_read().await.unwrap();
        vink_store::search::plan_for_values(&mut tx).await.unwrap();
        assert_eq!(show(&mut tx, "plan_cache_mode").await, "force_custom_plan");
        assert_eq!(show(&mut tx, "max_parallel_workers_per_gather").await, "0");
        tx.commit().await.unwrap();
        let mut held = Vec::new();
        for _ in 0..4 {
            let mut tx = t.db.begin_read().await.unwrap();
            assert_ne!(show(&mut tx, "max_parallel_workers_per_gather").await, "0");
            held.push(tx);
        }
        drop(held);
        t.finish().await;
    }
}

/// The bundled SQLite is built with the options `.cargo/config.toml` gives
/// it (`LIBSQLITE3_FLAGS`). Without `ENABLE_QPSG`, SQLite 3.51 plans a
/// statement for its bound `LIMIT`'s value and expires the statement when
/// the value is bound again, so every list statement was parsed and planned
/// anew on every run (a fifth of the server's CPU on the concern list);
/// without `DEFAULT_MEMSTATUS=0`, every allocation of every connection takes
/// one process-wide mutex. A build that lost the file loses both quietly:
/// this fails instead.
#[tokio::test]
async fn the_bundled_sqlite_is_built_with_the_projects_options() {
    use sqlx::Connection;
    let t = common::sqlite().await;
    let mut conn = sqlx::SqliteConnection::connect(&t.url).await.unwrap();
    let options: Vec<String> =
        sqlx::query_scalar("SELECT compile_options FROM pragma_compile_options")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    for wanted in ["ENABLE_QPSG", "DEFAULT_MEMSTATUS=0"] {
        assert!(
            options.iter().any(|o| o == wanted),
            "{wanted} missing from {options:?}"
        );
    }
    conn.close().await.unwrap();
    t.finish().await;
}
