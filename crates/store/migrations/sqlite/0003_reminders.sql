-- Reminders: an in-app inbox and an e-mail outbox, both plain rows so that the
-- reminder job survives restarts and never sends the same reminder twice.

ALTER TABLE users ADD COLUMN email TEXT;

CREATE TABLE notifications (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    course_id BLOB REFERENCES courses(id),
    follow_up_id BLOB REFERENCES follow_ups(id),
    due_on TEXT,
    dedupe_key TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);

CREATE TABLE outbox (
    id BLOB PRIMARY KEY NOT NULL,
    notification_id BLOB REFERENCES notifications(id),
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_pending ON outbox(status, next_attempt_at);
