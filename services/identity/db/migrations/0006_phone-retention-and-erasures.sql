CREATE TABLE "identity"."erasures" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"phone_sha256" text NOT NULL,
	"sessions" integer NOT NULL,
	"calls" integer NOT NULL,
	"callback_deliveries" integer NOT NULL,
	"idempotency_records" integer NOT NULL,
	"actor_key_id" text,
	"actor_key_prefix" text,
	"request_id" text,
	"source_ip" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "identity"."tenants" ADD COLUMN "phone_retention_days" integer DEFAULT 90 NOT NULL;--> statement-breakpoint
CREATE INDEX "erasures_tenant_idx" ON "identity"."erasures" USING btree ("tenant_id","id");--> statement-breakpoint
-- Keys that held every scope before privacy:write existed were "all scopes" keys: they keep holding every scope (a tenant can then mint privacy:write keys).
UPDATE "identity"."api_keys" SET "scopes" = array_append("scopes", 'privacy:write') WHERE "scopes" @> ARRAY['sessions:read','sessions:write','calls:read','calls:write','dids:read','keys:manage','recordings:read','recordings:write']::text[] AND NOT ('privacy:write' = ANY("scopes"));
