DROP INDEX "clients_search_trgm";--> statement-breakpoint
ALTER TABLE "workspaces" ADD COLUMN "retention_inactive_months" integer;--> statement-breakpoint
CREATE INDEX "clients_search_trgm" ON "clients" USING gin ("search_text" gin_trgm_ops);--> statement-breakpoint
ALTER TABLE "workspaces" ADD CONSTRAINT "workspaces_retention_check" CHECK ("workspaces"."retention_inactive_months" between 1 and 600);