-- Money behind the plans (issue 11): funding sources, grants usable over
-- whole years, budget lines per grant and year, and spending entries. All
-- amounts are integer øre. Nothing here is about a person.
CREATE TABLE funding_sources (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE grants (
    id UUID PRIMARY KEY NOT NULL,
    source_id UUID NOT NULL REFERENCES funding_sources(id),
    -- The plan the grant funds, if any.
    plan_id UUID REFERENCES plans(id),
    title TEXT NOT NULL,
    total BIGINT NOT NULL,
    usable_from INTEGER NOT NULL,
    usable_to INTEGER NOT NULL,
    conditions TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX grants_source ON grants(source_id, usable_from);
CREATE INDEX grants_plan ON grants(plan_id);

-- When a report on a grant is due; the reminder job marks it reminded.
CREATE TABLE grant_report_deadlines (
    id UUID PRIMARY KEY NOT NULL,
    grant_id UUID NOT NULL REFERENCES grants(id),
    due_on TEXT NOT NULL,
    reminded BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX grant_report_deadlines_due ON grant_report_deadlines(reminded, due_on);
CREATE INDEX grant_report_deadlines_grant ON grant_report_deadlines(grant_id, due_on);

CREATE TABLE budget_lines (
    id UUID PRIMARY KEY NOT NULL,
    grant_id UUID NOT NULL REFERENCES grants(id),
    year INTEGER NOT NULL,
    amount BIGINT NOT NULL,
    -- What in the plan the money is for, if said.
    focus_area_id UUID REFERENCES plan_focus_areas(id),
    intervention_id UUID REFERENCES plan_interventions(id),
    -- The finance system's account; spending files name lines by it.
    account TEXT,
    note TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX budget_lines_grant ON budget_lines(grant_id, year);
CREATE INDEX budget_lines_year ON budget_lines(year, grant_id);
CREATE INDEX budget_lines_account ON budget_lines(account, year);

CREATE TABLE spending (
    id UUID PRIMARY KEY NOT NULL,
    line_id UUID NOT NULL REFERENCES budget_lines(id),
    spent_on TEXT NOT NULL,
    amount BIGINT NOT NULL,
    voucher TEXT,
    note TEXT,
    created_at BIGINT NOT NULL,
    created_by UUID REFERENCES users(id)
);
CREATE INDEX spending_line ON spending(line_id, spent_on);
