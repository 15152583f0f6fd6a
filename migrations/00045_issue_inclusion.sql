-- +goose Up
-- Why each item is in or out of an issue (newsletter.InclusionReport), kept
-- beside the bytes it was rendered with: a frozen issue keeps the report
-- of its freeze. NULL for issues rendered before it existed.
ALTER TABLE issues ADD COLUMN inclusion jsonb;

-- +goose Down
ALTER TABLE issues DROP COLUMN inclusion;
