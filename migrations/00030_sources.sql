-- +goose Up
-- A source is a feed or item file the leader fetches on its own. The fetch
-- state (validators for a conditional GET, failures for the backoff, when to
-- fetch next) lives on the row; every fetch is also kept in source_fetches,
-- the history `enews sources show` prints, pruned to the newest per source.
CREATE TABLE sources (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL CHECK (name <> '' AND length(name) <= 100),
    url             text NOT NULL CHECK (url ~* '^https?://'),
    default_kind    text NOT NULL DEFAULT '',
    enabled         boolean NOT NULL DEFAULT true,
    etag            text NOT NULL DEFAULT '',
    last_modified   text NOT NULL DEFAULT '',
    failures        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    last_fetch_at   timestamptz,
    last_success_at timestamptz,
    failing_since   timestamptz,
    next_fetch_at   timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sources_name_key ON sources (lower(name));
CREATE UNIQUE INDEX sources_url_key ON sources (url);

CREATE TABLE source_fetches (
    id          bigserial PRIMARY KEY,
    source_id   bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    http_status integer NOT NULL DEFAULT 0,
    outcome     text NOT NULL CHECK (outcome IN ('fetched', 'not-modified', 'failed')),
    new_items   integer NOT NULL DEFAULT 0,
    updated     integer NOT NULL DEFAULT 0,
    unchanged   integer NOT NULL DEFAULT 0,
    rejected    integer NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT '',
    duration_ms integer NOT NULL DEFAULT 0
);
CREATE INDEX source_fetches_source_idx ON source_fetches (source_id, id DESC);

-- +goose Down
DROP TABLE source_fetches;
DROP TABLE sources;
