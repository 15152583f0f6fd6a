-- +goose Up
-- The consent log is evidence: the role the application serves with must
-- not be able to rewrite it. The row trigger of 00001 stopped UPDATE and
-- DELETE, but not TRUNCATE, and a session with session_replication_role =
-- replica skipped it. Now a statement trigger refuses TRUNCATE, both fire
-- in every replication role, and UPDATE, DELETE and TRUNCATE are revoked
-- from everyone but the table's owner (the role that runs migrations).
-- +goose StatementBegin
CREATE FUNCTION consent_events_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'consent_events is append-only: TRUNCATE refused';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER consent_events_no_truncate
    BEFORE TRUNCATE ON consent_events
    FOR EACH STATEMENT EXECUTE FUNCTION consent_events_no_truncate();

ALTER TABLE consent_events ENABLE ALWAYS TRIGGER consent_events_append_only;
ALTER TABLE consent_events ENABLE ALWAYS TRIGGER consent_events_no_truncate;

REVOKE UPDATE, DELETE, TRUNCATE ON consent_events FROM PUBLIC;
-- +goose StatementBegin
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT DISTINCT g.grantee
        FROM information_schema.role_table_grants g
        JOIN pg_class c ON c.relname = g.table_name AND c.relnamespace = to_regnamespace(g.table_schema)
        WHERE g.table_name = 'consent_events' AND g.table_schema = current_schema()
          AND g.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
          AND g.grantee <> pg_get_userbyid(c.relowner) AND g.grantee <> 'PUBLIC'
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON consent_events FROM %I', r.grantee);
    END LOOP;
END;
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE consent_events ENABLE TRIGGER consent_events_append_only;
DROP TRIGGER consent_events_no_truncate ON consent_events;
DROP FUNCTION consent_events_no_truncate();
