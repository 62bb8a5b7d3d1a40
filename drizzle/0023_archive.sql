ALTER TABLE "client_history" DROP CONSTRAINT "client_history_workspace_id_workspaces_id_fk";
--> statement-breakpoint
ALTER TABLE "client_tags" DROP CONSTRAINT "client_tags_workspace_id_workspaces_id_fk";
--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "archived_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "archived_by" text;--> statement-breakpoint
CREATE INDEX "clients_archived_id_index" ON "clients" USING btree ("workspace_id","id") WHERE "clients"."archived_at" is not null;