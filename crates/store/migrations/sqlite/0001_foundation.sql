-- Foundation: organisation, users and log-in, persons, concerns and triage,
-- coordination-unit meetings, the audit log. Instants are BIGINT microseconds
-- since the Unix epoch (UTC); calendar dates are TEXT 'YYYY-MM-DD'.

CREATE TABLE agencies (
    id BLOB PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    agency_id BLOB REFERENCES agencies(id),
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE persons (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT,
    birth TEXT,
    district TEXT,
    match_key TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX persons_match_key ON persons(match_key);

CREATE TABLE counters (
    name TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);

CREATE TABLE concerns (
    id BLOB PRIMARY KEY NOT NULL,
    case_number TEXT NOT NULL UNIQUE,
    receipt TEXT UNIQUE,
    channel TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    reporter_kind TEXT NOT NULL,
    reporter_organisation TEXT,
    reporter_name TEXT,
    reporter_contact TEXT,
    description TEXT NOT NULL,
    immediate_danger BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    decision TEXT,
    programme_kind TEXT,
    triage_deadline_at BIGINT NOT NULL,
    paused_at BIGINT,
    decided_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by BLOB
);
CREATE INDEX concerns_open_deadline ON concerns(decided_at, triage_deadline_at);
CREATE INDEX concerns_received ON concerns(received_at);

CREATE TABLE concern_persons (
    concern_id BLOB NOT NULL REFERENCES concerns(id),
    person_id BLOB NOT NULL REFERENCES persons(id),
    position BIGINT NOT NULL,
    PRIMARY KEY (concern_id, person_id)
);
CREATE INDEX concern_persons_person ON concern_persons(person_id);

CREATE TABLE concern_events (
    id BLOB PRIMARY KEY NOT NULL,
    concern_id BLOB NOT NULL REFERENCES concerns(id),
    at BIGINT NOT NULL,
    actor_id BLOB,
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    decision TEXT,
    reason TEXT
);
CREATE INDEX concern_events_concern ON concern_events(concern_id, at);

CREATE TABLE meetings (
    id BLOB PRIMARY KEY NOT NULL,
    meeting_date TEXT NOT NULL,
    minutes TEXT,
    created_at BIGINT NOT NULL,
    created_by BLOB
);
CREATE INDEX meetings_date ON meetings(meeting_date);

CREATE TABLE meeting_agencies (
    meeting_id BLOB NOT NULL REFERENCES meetings(id),
    agency_id BLOB NOT NULL REFERENCES agencies(id),
    PRIMARY KEY (meeting_id, agency_id)
);
CREATE INDEX meeting_agencies_agency ON meeting_agencies(agency_id);

CREATE TABLE agenda_items (
    meeting_id BLOB NOT NULL REFERENCES meetings(id),
    concern_id BLOB NOT NULL REFERENCES concerns(id),
    position BIGINT NOT NULL,
    recommendation TEXT,
    acting_agency_id BLOB REFERENCES agencies(id),
    recorded_at BIGINT,
    recorded_by BLOB,
    PRIMARY KEY (meeting_id, concern_id)
);
CREATE INDEX agenda_items_concern ON agenda_items(concern_id);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL,
    actor_id BLOB,
    actor_kind TEXT NOT NULL,
    action TEXT NOT NULL,
    record_type TEXT,
    record_id BLOB,
    outcome TEXT NOT NULL,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_record ON audit_log(record_id);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The agencies of the Copenhagen coordination unit (domain.md); editable data.
INSERT INTO agencies (id, code, name) VALUES
 (X'0190000000007000800000000000a001', 'vink', 'VINK'),
 (X'0190000000007000800000000000a002', 'ssp', 'SSP København'),
 (X'0190000000007000800000000000a003', 'bbu', 'Socialforvaltningen, Borgercenter Børn og Unge'),
 (X'0190000000007000800000000000a004', 'eki', 'Socialforvaltningen, EKI'),
 (X'0190000000007000800000000000a005', 'psp', 'Psykiatrien (PSP)'),
 (X'0190000000007000800000000000a006', 'dks', 'Københavns Politi, Den Kriminalpræventive Sektion'),
 (X'0190000000007000800000000000a007', 'kriminalforsorgen', 'Kriminalforsorgen'),
 (X'0190000000007000800000000000a008', 'jobcenter', 'Beskæftigelses- og Integrationsforvaltningen, Jobcenter Unge');
