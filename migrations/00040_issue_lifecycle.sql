-- +goose Up
-- The issue lifecycle: every change of an issue's status is logged with who
-- made it, and an issue keeps a web rendering for the archive beside the
-- email bytes, made when the issue freezes.

CREATE TABLE issue_transitions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issue_id    bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    action      text NOT NULL CHECK (action <> ''),
    from_status text NOT NULL DEFAULT '',
    to_status   text NOT NULL CHECK (to_status IN ('draft', 'approved', 'sending', 'paused', 'sent', 'skipped', 'cancelled')),
    actor       text NOT NULL CHECK (actor <> '' AND length(actor) <= 200),
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX issue_transitions_issue_idx ON issue_transitions (issue_id, id);

-- When a draft's bytes were last rendered: a draft whose items changed
-- since is rendered again.
ALTER TABLE issues ADD COLUMN rendered_at timestamptz;
UPDATE issues SET rendered_at = created_at WHERE html <> '';
-- The archive's web page body, rendered from the same items as the email
-- when the issue freezes; empty for issues frozen before it existed.
ALTER TABLE issues ADD COLUMN web_html text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE issues DROP COLUMN web_html;
ALTER TABLE issues DROP COLUMN rendered_at;
DROP TABLE issue_transitions;
