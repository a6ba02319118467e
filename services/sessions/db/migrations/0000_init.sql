CREATE SCHEMA IF NOT EXISTS "sessions";
--> statement-breakpoint
CREATE TABLE "sessions"."idempotency_keys" (
	"tenant_id" text NOT NULL,
	"key" text NOT NULL,
	"operation" text NOT NULL,
	"request_hash" text NOT NULL,
	"state" text NOT NULL,
	"response" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_tenant_id_key_pk" PRIMARY KEY("tenant_id","key")
);
--> statement-breakpoint
CREATE TABLE "sessions"."session_parties" (
	"session_id" text NOT NULL,
	"tenant_id" text NOT NULL,
	"masked_e164" text NOT NULL,
	"phone" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "session_parties_session_id_phone_pk" PRIMARY KEY("session_id","phone")
);
--> statement-breakpoint
CREATE TABLE "sessions"."sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"order_id" text,
	"driver_phone" text NOT NULL,
	"customer_phone" text NOT NULL,
	"masked_e164" text NOT NULL,
	"exclusive" boolean NOT NULL,
	"status" text NOT NULL,
	"ttl_minutes" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"end_reason" text
);
--> statement-breakpoint
ALTER TABLE "sessions"."session_parties" ADD CONSTRAINT "session_parties_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "sessions"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "sessions"."idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "session_parties_number_phone_uq" ON "sessions"."session_parties" USING btree ("masked_e164","phone");--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_open_exclusive_number_uq" ON "sessions"."sessions" USING btree ("masked_e164") WHERE status = 'open' and exclusive;--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_open_order_uq" ON "sessions"."sessions" USING btree ("tenant_id","order_id") WHERE status = 'open' and order_id is not null;--> statement-breakpoint
CREATE INDEX "sessions_open_number_idx" ON "sessions"."sessions" USING btree ("masked_e164","expires_at") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "sessions_open_expiry_idx" ON "sessions"."sessions" USING btree ("expires_at") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "sessions_tenant_idx" ON "sessions"."sessions" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "sessions_tenant_order_idx" ON "sessions"."sessions" USING btree ("tenant_id","order_id","id") WHERE order_id is not null;--> statement-breakpoint
CREATE INDEX "sessions_number_created_idx" ON "sessions"."sessions" USING btree ("masked_e164","created_at");