CREATE TABLE "ai_calls" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"operation" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"error_code" text,
	"prompt_tokens" integer DEFAULT 0 NOT NULL,
	"completion_tokens" integer DEFAULT 0 NOT NULL,
	"model" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ai_calls_status_check" CHECK ("ai_calls"."status" in ('running', 'ok', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "ai_settings" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"base_url" text,
	"model" text,
	"sealed_api_key" text,
	"share_client_details" boolean DEFAULT false NOT NULL,
	"forbidden_claims" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"monthly_token_budget" integer,
	"requests_per_minute" integer,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ai_settings_budget_check" CHECK ("ai_settings"."monthly_token_budget" is null or "ai_settings"."monthly_token_budget" >= 0),
	CONSTRAINT "ai_settings_rate_check" CHECK ("ai_settings"."requests_per_minute" is null or "ai_settings"."requests_per_minute" >= 1)
);
--> statement-breakpoint
ALTER TABLE "ai_calls" ADD CONSTRAINT "ai_calls_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_settings" ADD CONSTRAINT "ai_settings_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ai_calls_workspace_id_created_at_index" ON "ai_calls" USING btree ("workspace_id","created_at");