-- Kept event windows (src/modules/segments/event-windows.ts). Every statement that writes events
-- marks the clients whose events of a type changed, so evaluations read those clients' events
-- directly until the next refresh, and holds a shared per-(workspace, type) advisory lock until it
-- commits: a refresh takes that lock exclusively, so no write of its type is in flight while it
-- rebuilds the aggregates and clears the marks (a write committed after would otherwise be in
-- neither). Statement triggers with transition tables: one insert per statement, not per row.
CREATE FUNCTION event_window_lock_key(workspace uuid, event_type text) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT hashtextextended(workspace::text || '/' || event_type, 20261122) $$;
--> statement-breakpoint
CREATE FUNCTION events_mark_window_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pg_advisory_xact_lock_shared(s.k)
      FROM (SELECT DISTINCT event_window_lock_key(n.workspace_id, n.type) AS k FROM new_rows n) s ORDER BY s.k;
    INSERT INTO event_aggregate_changes (workspace_id, type, client_id)
      SELECT DISTINCT n.workspace_id, n.type, n.client_id FROM new_rows n
      WHERE EXISTS (SELECT 1 FROM event_windows w WHERE w.workspace_id = n.workspace_id AND w.type = n.type)
      ON CONFLICT DO NOTHING;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    PERFORM pg_advisory_xact_lock_shared(s.k)
      FROM (SELECT DISTINCT event_window_lock_key(o.workspace_id, o.type) AS k FROM old_rows o) s ORDER BY s.k;
    INSERT INTO event_aggregate_changes (workspace_id, type, client_id)
      SELECT DISTINCT o.workspace_id, o.type, o.client_id FROM old_rows o
      WHERE EXISTS (SELECT 1 FROM event_windows w WHERE w.workspace_id = o.workspace_id AND w.type = o.type)
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER events_window_changes_insert AFTER INSERT ON events
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION events_mark_window_changes();
--> statement-breakpoint
CREATE TRIGGER events_window_changes_update AFTER UPDATE ON events
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION events_mark_window_changes();
--> statement-breakpoint
CREATE TRIGGER events_window_changes_delete AFTER DELETE ON events
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION events_mark_window_changes();
