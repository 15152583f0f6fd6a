-- +goose Up
-- A token's name is unique among live tokens only: once a token is revoked,
-- its name may be given to a new one (revoked tokens stay, for the record).
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_name_key;
CREATE UNIQUE INDEX api_tokens_live_name_key ON api_tokens (name) WHERE revoked_at IS NULL;

-- +goose Down
DROP INDEX api_tokens_live_name_key;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_name_key UNIQUE (name);
