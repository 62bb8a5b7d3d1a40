CREATE TABLE "client_daily_figures" (
	"workspace_id" uuid NOT NULL,
	"day" date NOT NULL,
	"total" integer NOT NULL,
	"at_risk" integer NOT NULL,
	"measured_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "client_daily_figures_workspace_id_day_pk" PRIMARY KEY("workspace_id","day")
);
--> statement-breakpoint
ALTER TABLE "client_daily_figures" ADD CONSTRAINT "client_daily_figures_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;