CREATE INDEX "clients_live_id_index" ON "clients" USING btree ("workspace_id","id") WHERE "clients"."erased_at" is null;--> statement-breakpoint
CREATE INDEX "clients_live_city_index" ON "clients" USING btree ("workspace_id",lower("city"),"city") WHERE "clients"."erased_at" is null;--> statement-breakpoint
CREATE INDEX "clients_live_consent_email_index" ON "clients" USING btree ("workspace_id","id") WHERE "clients"."erased_at" is null and "clients"."consent_email";--> statement-breakpoint
CREATE INDEX "clients_live_consent_sms_index" ON "clients" USING btree ("workspace_id","id") WHERE "clients"."erased_at" is null and "clients"."consent_sms";--> statement-breakpoint
CREATE INDEX "clients_live_consent_whatsapp_index" ON "clients" USING btree ("workspace_id","id") WHERE "clients"."erased_at" is null and "clients"."consent_whatsapp";--> statement-breakpoint
CREATE INDEX "clients_live_consent_push_index" ON "clients" USING btree ("workspace_id","id") WHERE "clients"."erased_at" is null and "clients"."consent_push";--> statement-breakpoint
CREATE INDEX "events_segment_aggregate_index" ON "events" USING btree ("workspace_id","type","client_id","occurred_at","amount");--> statement-breakpoint
-- Not from the schema (drizzle-kit has no statistics objects): the planner ignores the statistics of a partial expression index, so without these it guessed 0.5 % of clients for any city (7 % are in Madrid) and sorted every match of a segment's page instead of walking the newest clients.
CREATE STATISTICS "clients_lower_city_stats" ON (lower("city")) FROM "clients";
