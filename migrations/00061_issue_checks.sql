-- +goose Up
-- Compliance receipts: each check of an issue against the bulk-sender rules,
-- kept with the issue; a send forced past a failed check says so.
CREATE TABLE issue_checks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issue_id   bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    passed     boolean NOT NULL,
    forced     boolean NOT NULL DEFAULT false,
    actor      text NOT NULL CHECK (actor <> ''),
    receipt    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX issue_checks_issue_idx ON issue_checks (issue_id, id);

-- +goose Down
DROP TABLE issue_checks;
