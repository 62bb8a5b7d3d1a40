CREATE TABLE "event_aggregate_changes" (
	"workspace_id" uuid NOT NULL,
	"type" text NOT NULL,
	"client_id" uuid NOT NULL,
	CONSTRAINT "event_aggregate_changes_workspace_id_type_client_id_pk" PRIMARY KEY("workspace_id","type","client_id")
);
--> statement-breakpoint
CREATE TABLE "event_window_aggregates" (
	"workspace_id" uuid NOT NULL,
	"type" text NOT NULL,
	"window_days" integer NOT NULL,
	"client_id" uuid NOT NULL,
	"events" integer NOT NULL,
	"amount" numeric(16, 2) NOT NULL,
	CONSTRAINT "event_window_aggregates_workspace_id_type_window_days_client_id_pk" PRIMARY KEY("workspace_id","type","window_days","client_id")
);
--> statement-breakpoint
CREATE TABLE "event_windows" (
	"workspace_id" uuid NOT NULL,
	"type" text NOT NULL,
	"window_days" integer NOT NULL,
	"computed_at" timestamp (3) with time zone,
	"last_used_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "event_windows_workspace_id_type_window_days_pk" PRIMARY KEY("workspace_id","type","window_days"),
	CONSTRAINT "event_windows_days_check" CHECK ("event_windows"."window_days" between 0 and 36600)
);
--> statement-breakpoint
ALTER TABLE "event_windows" ADD CONSTRAINT "event_windows_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "event_window_aggregates_events_index" ON "event_window_aggregates" USING btree ("workspace_id","type","window_days","events","client_id");--> statement-breakpoint
CREATE INDEX "event_window_aggregates_amount_index" ON "event_window_aggregates" USING btree ("workspace_id","type","window_days","amount","client_id");--> statement-breakpoint
CREATE INDEX "clients_erased_id_index" ON "clients" USING btree ("workspace_id","id") WHERE "clients"."erased_at" is not null;