CREATE TABLE "channel_message_events" (
	"channel_id" uuid NOT NULL,
	"provider_message_id" text NOT NULL,
	"status" text NOT NULL,
	"received_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_message_events_channel_id_provider_message_id_status_pk" PRIMARY KEY("channel_id","provider_message_id","status")
);
--> statement-breakpoint
CREATE TABLE "channel_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"channel_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"kind" text NOT NULL,
	"provider_message_id" text,
	"recipient" text NOT NULL,
	"client_id" uuid,
	"campaign_id" uuid,
	"delivery_id" uuid,
	"marketing" boolean DEFAULT false NOT NULL,
	"is_test" boolean DEFAULT false NOT NULL,
	"status" text NOT NULL,
	"status_history" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error_code" text,
	"error_message" text,
	"subject" text,
	"html" text,
	"body" text,
	"headers" jsonb,
	"whatsapp_template" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_messages_kind_check" CHECK ("channel_messages"."kind" in ('email', 'sms', 'whatsapp')),
	CONSTRAINT "channel_messages_status_check" CHECK ("channel_messages"."status" in ('queued', 'sent', 'delivered', 'read', 'failed', 'unknown'))
);
--> statement-breakpoint
CREATE TABLE "channels" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"name" text NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"sealed_secrets" text,
	"rate_per_second" integer NOT NULL,
	"daily_cap" integer,
	"is_default" boolean DEFAULT false NOT NULL,
	"last_test_at" timestamp (3) with time zone,
	"last_test_ok" boolean,
	"last_test_error" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channels_provider_check" CHECK ("channels"."provider" in ('outbox', 'smtp', 'meta_whatsapp', 'twilio', 'evolution')),
	CONSTRAINT "channels_rate_check" CHECK ("channels"."rate_per_second" between 1 and 10000),
	CONSTRAINT "channels_cap_check" CHECK ("channels"."daily_cap" is null or "channels"."daily_cap" >= 1)
);
--> statement-breakpoint
CREATE TABLE "whatsapp_templates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"channel_id" uuid NOT NULL,
	"name" text NOT NULL,
	"language" text NOT NULL,
	"status" text NOT NULL,
	"category" text,
	"components" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"synced_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "whatsapp_windows" (
	"workspace_id" uuid NOT NULL,
	"phone" text NOT NULL,
	"last_inbound_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "whatsapp_windows_workspace_id_phone_pk" PRIMARY KEY("workspace_id","phone")
);
--> statement-breakpoint
ALTER TABLE "channel_message_events" ADD CONSTRAINT "channel_message_events_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_messages" ADD CONSTRAINT "channel_messages_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_messages" ADD CONSTRAINT "channel_messages_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_messages" ADD CONSTRAINT "channel_messages_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channels" ADD CONSTRAINT "channels_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "whatsapp_templates" ADD CONSTRAINT "whatsapp_templates_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "whatsapp_templates" ADD CONSTRAINT "whatsapp_templates_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "whatsapp_windows" ADD CONSTRAINT "whatsapp_windows_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "channel_messages_workspace_id_channel_id_created_at_index" ON "channel_messages" USING btree ("workspace_id","channel_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "channel_messages_workspace_id_client_id_created_at_index" ON "channel_messages" USING btree ("workspace_id","client_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "channel_messages_workspace_id_campaign_id_created_at_index" ON "channel_messages" USING btree ("workspace_id","campaign_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "channel_messages_channel_id_provider_message_id_index" ON "channel_messages" USING btree ("channel_id","provider_message_id");--> statement-breakpoint
CREATE INDEX "channels_workspace_id_created_at_index" ON "channels" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "channels_one_outbox" ON "channels" USING btree ("workspace_id") WHERE "channels"."provider" = 'outbox';--> statement-breakpoint
CREATE UNIQUE INDEX "channels_one_default" ON "channels" USING btree ("workspace_id") WHERE "channels"."is_default";--> statement-breakpoint
CREATE UNIQUE INDEX "whatsapp_templates_channel_id_name_language_index" ON "whatsapp_templates" USING btree ("channel_id","name","language");