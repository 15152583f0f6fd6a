-- +goose Up
-- Transactional mail (subscription confirmations, approver notices, test
-- copies): written here first and sent by a worker, so a relay that is down
-- or a process that stops delays a message but never loses it.
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind ~ '^[a-z][a-z_-]{0,39}$'),
    recipient       text NOT NULL CHECK (recipient <> ''),
    -- The composed message (newsletter.Mail as JSON); emptied once sent.
    mail            jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- A worker holds a row it is sending until locked_until; a crashed
    -- worker's row comes back when that passes.
    locked_until    timestamptz,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_failed_idx ON outbox (created_at) WHERE status = 'failed';

-- +goose Down
DROP TABLE outbox;
