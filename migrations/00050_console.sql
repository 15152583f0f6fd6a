-- +goose Up
-- The console: people who log in (staff, ops, admin), their sessions, and
-- the append-only audit log of every change made through the console, the
-- API or the users command.

CREATE TABLE console_users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%'),
    name          text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    role          text NOT NULL CHECK (role IN ('staff', 'ops', 'admin')),
    -- argon2id in the PHC string format: parameters and salt travel with it.
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    disabled_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX console_users_email_key ON console_users (lower(email));

-- A session is found by the hash of its cookie: a copy of this table
-- opens no session.
CREATE TABLE console_sessions (
    token_hash   text PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    ip           inet
);
CREATE INDEX console_sessions_user_idx ON console_sessions (user_id);
CREATE INDEX console_sessions_expires_idx ON console_sessions (expires_at);

CREATE TABLE audit_log (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text NOT NULL CHECK (actor <> ''),  -- user:EMAIL, token:NAME or cli
    action   text NOT NULL CHECK (action <> ''), -- e.g. subscriber.erase, login.failed
    target   text NOT NULL DEFAULT '',
    detail   text NOT NULL DEFAULT '',
    ip       inet
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
-- Login rate limits count recent failures by account and by client.
CREATE INDEX audit_log_login_target_idx ON audit_log (lower(target), at) WHERE action = 'login.failed';
CREATE INDEX audit_log_login_ip_idx ON audit_log (ip, at) WHERE action = 'login.failed';

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TRIGGER audit_log_append_only ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE audit_log;
DROP TABLE console_sessions;
DROP TABLE console_users;
