CREATE TABLE "campaign_settings" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"frequency_cap_7d" integer,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaign_settings_cap_check" CHECK ("campaign_settings"."frequency_cap_7d" is null or "campaign_settings"."frequency_cap_7d" between 1 and 100)
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"objective" text,
	"channel" text NOT NULL,
	"channel_id" uuid,
	"content" jsonb NOT NULL,
	"audience" jsonb NOT NULL,
	"fallback_channels" text[] DEFAULT '{}'::text[] NOT NULL,
	"marketing" boolean DEFAULT true NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"status_reason" text,
	"scheduled_at" timestamp (3) with time zone,
	"recipient_time_zone" boolean DEFAULT false NOT NULL,
	"determine_recipients" text DEFAULT 'now' NOT NULL,
	"snapshot_at" timestamp (3) with time zone,
	"audience_count" integer,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	CONSTRAINT "campaigns_channel_check" CHECK ("campaigns"."channel" in ('email', 'sms', 'whatsapp')),
	CONSTRAINT "campaigns_status_check" CHECK ("campaigns"."status" in ('draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled', 'failed')),
	CONSTRAINT "campaigns_determine_check" CHECK ("campaigns"."determine_recipients" in ('now', 'at_send'))
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"client_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"address" text,
	"status" text NOT NULL,
	"skip_reason" text,
	"attempts" smallint DEFAULT 0 NOT NULL,
	"send_after" timestamp (3) with time zone,
	"claimed_at" timestamp (3) with time zone,
	"sent_at" timestamp (3) with time zone,
	"provider_message_id" text,
	"error" text,
	"marketing" boolean DEFAULT true NOT NULL,
	"variant" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deliveries_status_check" CHECK ("deliveries"."status" in ('skipped', 'queued', 'sending', 'sent', 'delivered', 'read', 'clicked', 'failed', 'unknown', 'cancelled')),
	CONSTRAINT "deliveries_skip_check" CHECK (("deliveries"."status" = 'skipped') = ("deliveries"."skip_reason" is not null))
);
--> statement-breakpoint
CREATE TABLE "rate_slots" (
	"key" text PRIMARY KEY NOT NULL,
	"next_at" timestamp (6) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "campaign_settings" ADD CONSTRAINT "campaign_settings_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "campaigns_workspace_id_created_at_id_index" ON "campaigns" USING btree ("workspace_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "campaigns_due_index" ON "campaigns" USING btree ("scheduled_at") WHERE "campaigns"."status" = 'scheduled';--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_campaign_client_channel" ON "deliveries" USING btree ("campaign_id","client_id","channel");--> statement-breakpoint
CREATE INDEX "deliveries_campaign_status_index" ON "deliveries" USING btree ("campaign_id","status");--> statement-breakpoint
CREATE INDEX "deliveries_due_index" ON "deliveries" USING btree ("campaign_id","send_after") WHERE "deliveries"."status" = 'queued';--> statement-breakpoint
CREATE INDEX "deliveries_client_index" ON "deliveries" USING btree ("workspace_id","client_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "deliveries_sent_index" ON "deliveries" USING btree ("workspace_id","sent_at","client_id") WHERE "deliveries"."sent_at" is not null;