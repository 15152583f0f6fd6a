-- +goose Up
-- An import writes one consent event per new address. With a btree on
-- email_hash (a random 64-character key) those index inserts were the
-- slowest step of a large import. The hash is only ever looked up by
-- equality, which a hash index serves at a fraction of the insert cost.
DROP INDEX consent_events_hash_idx;
CREATE INDEX consent_events_hash_idx ON consent_events USING hash (email_hash);

-- +goose Down
DROP INDEX consent_events_hash_idx;
CREATE INDEX consent_events_hash_idx ON consent_events (email_hash);
