-- +goose Up
-- A subscriber's own page (/manage/): a change of address waits here until
-- the new address confirms it; the old one stays on the list until then.
-- One pending change per subscriber, the latest asked for.
CREATE TABLE address_changes (
    subscriber_id bigint PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
    new_email     text NOT NULL CHECK (new_email <> '' AND length(new_email) <= 254),
    requested_at  timestamptz NOT NULL
);

-- Changes made on that page are logged with the source manage.
ALTER TABLE consent_events DROP CONSTRAINT consent_events_source_check;
ALTER TABLE consent_events ADD CONSTRAINT consent_events_source_check
    CHECK (source IN ('form', 'import', 'api', 'cli', 'one-click', 'link', 'delivery', 'webhook', 'feedback', 'mailto', 'manage'));

-- +goose Down
ALTER TABLE consent_events DROP CONSTRAINT consent_events_source_check;
ALTER TABLE consent_events ADD CONSTRAINT consent_events_source_check
    CHECK (source IN ('form', 'import', 'api', 'cli', 'one-click', 'link', 'delivery', 'webhook', 'feedback', 'mailto'));
DROP TABLE address_changes;
