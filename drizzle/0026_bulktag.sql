ALTER TABLE "client_history" DROP CONSTRAINT "client_history_client_id_clients_id_fk";
--> statement-breakpoint
ALTER TABLE "client_tags" DROP CONSTRAINT "client_tags_client_id_clients_id_fk";
--> statement-breakpoint
ALTER TABLE "client_tags" DROP CONSTRAINT "client_tags_tag_id_tags_id_fk";
--> statement-breakpoint
-- The three keys above checked every row on its own: one locking query per row and key (three per
-- client of a bulk tag: its tag row's client and tag, its timeline entry's client), about a third
-- of a bulk tag of 100,000 clients (bench/RESULTS.md, bulk actions). The same integrity, set-based:
--
--  * Writing client_tags or client_history rows (insert, or an update of the columns that point)
--    checks, once per statement, every client the statement references in ONE query that locks
--    them FOR KEY SHARE, exactly the lock a foreign key takes. The check is stricter than the keys
--    were: the client must be in the row's workspace and not erased (erased clients keep no tags
--    and no timeline), and a tag row's tag must be in its workspace too.
--  * Deleting clients (or tags) deletes their client_tags and client_history rows, once per
--    statement, as ON DELETE CASCADE did; changing a client's or tag's id or workspace is refused.
--
-- Why nothing is left behind when a client is deleted, merged away or erased at the same moment
-- (the app runs READ COMMITTED; test: src/modules/clients/client-refs.test.ts):
--  * If the writer locks the client first, the delete, merge or erase (which lock the client
--    FOR UPDATE or delete it, both of which wait for a KEY SHARE lock) waits for the writer to
--    commit, and then sees its rows: the delete trigger, a merge's move and an erase's cleanup each
--    run as a new statement with a new snapshot, so they delete or move the new rows too.
--  * If the delete, merge or erase locks the client first, the writer's check waits for it; when it
--    commits, the locking query reads the client's newest version: gone, or erased (the WHERE is
--    evaluated again on it), so the check fails and the writer's whole statement rolls back.
-- A REPEATABLE READ deleter would not see rows committed after its snapshot: nothing in the app
-- deletes clients or tags in that isolation level.
CREATE FUNCTION "check_client_refs"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  wanted bigint;
  locked bigint;
BEGIN
  SELECT count(*) INTO wanted FROM (SELECT DISTINCT client_id, workspace_id FROM new_rows) AS refs;
  SELECT count(*) INTO locked FROM (
    SELECT 1 FROM clients c
    WHERE (c.id, c.workspace_id) IN (SELECT client_id, workspace_id FROM new_rows) AND c.erased_at IS NULL
    FOR KEY SHARE OF c) AS live;
  IF locked <> wanted THEN
    RAISE EXCEPTION 'a % row references a client that is not a live client of its workspace', TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "check_client_tag_refs"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  wanted bigint;
  locked bigint;
BEGIN
  SELECT count(*) INTO wanted FROM (SELECT DISTINCT tag_id, workspace_id FROM new_rows) AS refs;
  SELECT count(*) INTO locked FROM (
    SELECT 1 FROM tags t
    WHERE (t.id, t.workspace_id) IN (SELECT tag_id, workspace_id FROM new_rows)
    FOR KEY SHARE OF t) AS present;
  IF locked <> wanted THEN
    RAISE EXCEPTION 'a client_tags row references a tag that is not a tag of its workspace'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'client_tags';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "client_tags_client_refs_insert" AFTER INSERT ON "client_tags"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_client_refs();
--> statement-breakpoint
CREATE TRIGGER "client_tags_client_refs_update" AFTER UPDATE ON "client_tags"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_client_refs();
--> statement-breakpoint
CREATE TRIGGER "client_tags_tag_refs_insert" AFTER INSERT ON "client_tags"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_client_tag_refs();
--> statement-breakpoint
CREATE TRIGGER "client_tags_tag_refs_update" AFTER UPDATE ON "client_tags"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_client_tag_refs();
--> statement-breakpoint
CREATE TRIGGER "client_history_client_refs_insert" AFTER INSERT ON "client_history"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_client_refs();
--> statement-breakpoint
CREATE TRIGGER "client_history_client_refs_update" AFTER UPDATE ON "client_history"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_client_refs();
--> statement-breakpoint
CREATE FUNCTION "delete_rows_of_deleted_clients"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM client_tags WHERE client_id IN (SELECT id FROM old_rows);
  DELETE FROM client_history WHERE client_id IN (SELECT id FROM old_rows);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "clients_delete_tags_and_history" AFTER DELETE ON "clients"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION delete_rows_of_deleted_clients();
--> statement-breakpoint
CREATE FUNCTION "delete_rows_of_deleted_tags"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM client_tags WHERE tag_id IN (SELECT id FROM old_rows);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "tags_delete_client_tags" AFTER DELETE ON "tags"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION delete_rows_of_deleted_tags();
--> statement-breakpoint
-- What the keys' ON UPDATE NO ACTION guarded: a client's or tag's identity never changes under
-- the rows that point to it.
CREATE FUNCTION "refuse_identity_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.workspace_id IS DISTINCT FROM OLD.workspace_id THEN
    RAISE EXCEPTION 'the id and workspace of a % row never change', TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER "clients_identity_fixed" BEFORE UPDATE OF id, workspace_id ON "clients"
  FOR EACH ROW EXECUTE FUNCTION refuse_identity_change();
--> statement-breakpoint
CREATE TRIGGER "tags_identity_fixed" BEFORE UPDATE OF id, workspace_id ON "tags"
  FOR EACH ROW EXECUTE FUNCTION refuse_identity_change();
