-- +goose Up
-- One row per running sender (one run of the delivery engine on one issue),
-- refreshed every second or so while it works. A sender whose row has gone
-- stale is dead (killed, or cut off from the database), and the deliveries
-- it leased go back to the queue in doubt within seconds instead of after
-- the whole lease. The row also says when its SMTP server stopped answering,
-- for `issue status`.
CREATE TABLE senders (
    owner            text PRIMARY KEY CHECK (owner <> '' AND length(owner) <= 300),
    issue_id         bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    started_at       timestamptz NOT NULL DEFAULT now(),
    seen_at          timestamptz NOT NULL DEFAULT now(),
    smtp_down_since  timestamptz,
    smtp_down_reason text NOT NULL DEFAULT ''
);
CREATE INDEX senders_issue_idx ON senders (issue_id);

-- +goose Down
DROP TABLE senders;
