CREATE SCHEMA IF NOT EXISTS "did";
--> statement-breakpoint
CREATE TABLE "did"."did_assignments" (
	"id" text PRIMARY KEY NOT NULL,
	"did_id" text NOT NULL,
	"tenant_id" text NOT NULL,
	"status" text NOT NULL,
	"assigned_at" timestamp with time zone DEFAULT now() NOT NULL,
	"released_at" timestamp with time zone,
	"suspended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "did"."dids" (
	"id" text PRIMARY KEY NOT NULL,
	"e164" text NOT NULL,
	"country" text,
	"capabilities" text[] DEFAULT '{voice}'::text[] NOT NULL,
	"available_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dids_e164_unique" UNIQUE("e164")
);
--> statement-breakpoint
ALTER TABLE "did"."did_assignments" ADD CONSTRAINT "did_assignments_did_id_dids_id_fk" FOREIGN KEY ("did_id") REFERENCES "did"."dids"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "did_assignments_current_uq" ON "did"."did_assignments" USING btree ("did_id") WHERE status in ('active', 'suspended');--> statement-breakpoint
CREATE INDEX "did_assignments_tenant_idx" ON "did"."did_assignments" USING btree ("tenant_id","status","id");--> statement-breakpoint
CREATE INDEX "did_assignments_did_idx" ON "did"."did_assignments" USING btree ("did_id","id");