-- +goose Up
-- The console's subscriber search matches a prefix of the address or the
-- name, any case; text_pattern_ops lets LIKE 'prefix%' use these indexes
-- whatever the database's collation.
CREATE INDEX subscribers_email_prefix_idx ON subscribers (lower(email) text_pattern_ops);
CREATE INDEX subscribers_name_prefix_idx ON subscribers (lower(name) text_pattern_ops) WHERE name <> '';
-- The dashboard's chart counts consent events by month.
CREATE INDEX consent_events_created_at_idx ON consent_events (created_at);

-- +goose Down
DROP INDEX consent_events_created_at_idx;
DROP INDEX subscribers_name_prefix_idx;
DROP INDEX subscribers_email_prefix_idx;
