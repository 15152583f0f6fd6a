-- +goose Up
-- The whole enews schema: items, subscribers, consent log, issues and the
-- delivery ledger. Every status has a check constraint so a bad value fails in
-- the database, not only in Go.

CREATE TABLE items (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL DEFAULT 'News' CHECK (length(kind) BETWEEN 1 AND 100),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 1000),
    summary       text NOT NULL DEFAULT '',
    url           text NOT NULL CHECK (url ~ '^https?://'),
    image_url     text NOT NULL DEFAULT '' CHECK (image_url = '' OR image_url ~ '^https?://'),
    image_alt     text NOT NULL DEFAULT '',
    image_credit  text NOT NULL DEFAULT '',
    published_at  timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'published'
                  CHECK (status IN ('draft', 'published', 'hidden')),
    source        text NOT NULL CHECK (source <> ''),
    external_id   text NOT NULL CHECK (external_id <> ''),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, external_id)
);
-- The month's collection reads published items by time.
CREATE INDEX items_published_at_idx ON items (published_at) WHERE status = 'published';

CREATE TABLE subscribers (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%'),
    name         text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained')),
    attributes   jsonb NOT NULL DEFAULT '{}',
    bounce_count integer NOT NULL DEFAULT 0 CHECK (bounce_count >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    unsubscribed_at timestamptz
);
-- Uniqueness ignores case: Alice@Example.org and alice@example.org are one address.
CREATE UNIQUE INDEX subscribers_email_lower_key ON subscribers (lower(email));
CREATE INDEX subscribers_status_idx ON subscribers (status, id);
CREATE INDEX subscribers_created_at_idx ON subscribers (created_at);

-- Erased addresses leave only a keyed hash here, so they are never mailed or
-- re-imported by mistake.
CREATE TABLE suppressions (
    email_hash  text PRIMARY KEY,
    reason      text NOT NULL CHECK (reason IN ('erased', 'complained', 'manual')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Append-only: the trigger below refuses updates and deletes.
CREATE TABLE consent_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber_id bigint REFERENCES subscribers (id) ON DELETE SET NULL,
    email_hash    text NOT NULL,
    event         text NOT NULL CHECK (event IN ('subscribed', 'confirmed', 'unsubscribed',
                                                  'resubscribed', 'bounced', 'complained', 'erased', 'imported')),
    source        text NOT NULL CHECK (source IN ('form', 'import', 'api', 'cli', 'one-click', 'link', 'delivery')),
    ip            inet,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_events_subscriber_idx ON consent_events (subscriber_id, id);
CREATE INDEX consent_events_hash_idx ON consent_events (email_hash);

-- +goose StatementBegin
CREATE FUNCTION consent_events_append_only() RETURNS trigger AS $$
BEGIN
    -- The erase path may detach an event from the subscriber row it deletes
    -- (ON DELETE SET NULL); nothing else may change or remove an event.
    IF TG_OP = 'UPDATE' AND NEW.subscriber_id IS NULL AND OLD.subscriber_id IS NOT NULL
       AND NEW.email_hash = OLD.email_hash AND NEW.event = OLD.event AND NEW.source = OLD.source
       AND NEW.created_at = OLD.created_at AND NEW.ip IS NOT DISTINCT FROM OLD.ip THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent_events is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER consent_events_append_only
    BEFORE UPDATE OR DELETE ON consent_events
    FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();

CREATE TABLE issues (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period      date NOT NULL UNIQUE CHECK (extract(day FROM period) = 1),
    status      text NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'approved', 'sending', 'paused', 'sent', 'skipped', 'cancelled')),
    subject     text NOT NULL DEFAULT '',
    preheader   text NOT NULL DEFAULT '',
    html        text NOT NULL DEFAULT '',
    text        text NOT NULL DEFAULT '',
    item_ids    bigint[] NOT NULL DEFAULT '{}',
    skip_reason text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    approved_at timestamptz,
    started_at  timestamptz,
    sent_at     timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deliveries (
    issue_id       bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    subscriber_id  bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    status         text NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'retry', 'skipped')),
    attempts       integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    lease_owner    text,
    lease_expires  timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_reply     text NOT NULL DEFAULT '',
    message_id     text NOT NULL DEFAULT '',
    in_doubt       boolean NOT NULL DEFAULT false,
    sent_at        timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issue_id, subscriber_id),
    CHECK ((status = 'sending') = (lease_owner IS NOT NULL AND lease_expires IS NOT NULL))
);
-- The claim query: rows ready to send for one issue, oldest due first.
CREATE INDEX deliveries_claimable_idx ON deliveries (issue_id, next_attempt_at)
    WHERE status IN ('queued', 'retry');
-- Reclaiming expired leases.
CREATE INDEX deliveries_lease_idx ON deliveries (issue_id, lease_expires) WHERE status = 'sending';
CREATE INDEX deliveries_subscriber_idx ON deliveries (subscriber_id);

-- Admin API bearer tokens, stored as SHA-256 hashes.
CREATE TABLE api_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> ''),
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at  timestamptz
);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE deliveries;
DROP TABLE issues;
DROP TRIGGER consent_events_append_only ON consent_events;
DROP FUNCTION consent_events_append_only();
DROP TABLE consent_events;
DROP TABLE suppressions;
DROP TABLE subscribers;
DROP TABLE items;
