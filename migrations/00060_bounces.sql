-- +goose Up
-- Bounces and complaints: every one that comes back (through the bounce
-- listener or a relay webhook) is kept, attributed to its delivery where
-- possible. event_key makes a replayed report change nothing.
CREATE TABLE bounces (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issue_id      bigint REFERENCES issues (id) ON DELETE SET NULL,
    -- An erase takes the subscriber's bounces with it: they hold the address.
    subscriber_id bigint REFERENCES subscribers (id) ON DELETE CASCADE,
    type          text NOT NULL CHECK (type IN ('hard', 'soft', 'complaint')),
    channel       text NOT NULL CHECK (channel IN ('smtp', 'generic', 'postmark', 'sendgrid', 'mailgun', 'ses')),
    status_code   text NOT NULL DEFAULT '' CHECK (length(status_code) <= 20),
    diagnostic    text NOT NULL DEFAULT '' CHECK (length(diagnostic) <= 2000),
    -- The report as it came; emptied after bounces.keep_days.
    raw           text NOT NULL DEFAULT '',
    event_key     text NOT NULL UNIQUE CHECK (event_key <> ''),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bounces_issue_idx ON bounces (issue_id, type) WHERE issue_id IS NOT NULL;
CREATE INDEX bounces_subscriber_idx ON bounces (subscriber_id, type, created_at);
CREATE INDEX bounces_raw_idx ON bounces (created_at) WHERE raw <> '';

-- New consent sources: a relay webhook, a feedback loop (ARF) and a mailto
-- unsubscribe; delivery already covers bounces read from DSNs.
ALTER TABLE consent_events DROP CONSTRAINT consent_events_source_check;
ALTER TABLE consent_events ADD CONSTRAINT consent_events_source_check
    CHECK (source IN ('form', 'import', 'api', 'cli', 'one-click', 'link', 'delivery', 'webhook', 'feedback', 'mailto'));

-- +goose Down
ALTER TABLE consent_events DROP CONSTRAINT consent_events_source_check;
ALTER TABLE consent_events ADD CONSTRAINT consent_events_source_check
    CHECK (source IN ('form', 'import', 'api', 'cli', 'one-click', 'link', 'delivery'));
DROP TABLE bounces;
