-- +goose Up
-- API tokens gain scopes (what a token may do: read; change subscribers;
-- act on issues), an optional expiry, and who made them. Tokens made
-- before keep every scope, so nothing that works today stops working.
ALTER TABLE api_tokens
    ADD COLUMN scopes text[] NOT NULL DEFAULT ARRAY['read', 'subscribers', 'issues']
        CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'subscribers', 'issues']),
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN created_by text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN created_by, DROP COLUMN expires_at, DROP COLUMN scopes;
