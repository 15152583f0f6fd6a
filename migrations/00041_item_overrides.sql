-- +goose Up
-- Staff may edit, hide and unhide any item, feed items included. The fields
-- they set are listed in overridden: a later poll or import of the same
-- entry leaves them as staff set them, and keeps what the source now says
-- of each in source_values (shown by `enews items show`), not applied.
ALTER TABLE items
    ADD COLUMN overridden text[] NOT NULL DEFAULT '{}'
        CHECK (overridden <@ ARRAY['kind', 'title', 'summary', 'url', 'image_url', 'image_alt', 'image_credit',
                                   'published_at', 'status']),
    ADD COLUMN source_values jsonb NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE items DROP COLUMN overridden, DROP COLUMN source_values;
