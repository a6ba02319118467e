CREATE SCHEMA IF NOT EXISTS "calls";
--> statement-breakpoint
CREATE TABLE "calls"."callback_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"call_id" text NOT NULL,
	"tenant_id" text NOT NULL,
	"sequence" integer NOT NULL,
	"event" text NOT NULL,
	"event_id" text NOT NULL,
	"url" text NOT NULL,
	"body" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_attempt_at" timestamp with time zone,
	"last_status_code" integer,
	"last_error" text,
	"attempt_log" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "calls"."calls" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"session_id" text NOT NULL,
	"order_id" text,
	"direction" text NOT NULL,
	"status" text NOT NULL,
	"from_party" text NOT NULL,
	"to_party" text NOT NULL,
	"from_phone" text NOT NULL,
	"to_phone" text NOT NULL,
	"masked_e164" text NOT NULL,
	"bill_id" text,
	"state_callback" text,
	"state_callback_events" text[],
	"callback_seq" integer DEFAULT 0 NOT NULL,
	"sip_call_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ringing_at" timestamp with time zone,
	"answered_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"duration_seconds" integer,
	"end_reason" text
);
--> statement-breakpoint
CREATE TABLE "calls"."idempotency_keys" (
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
ALTER TABLE "calls"."callback_deliveries" ADD CONSTRAINT "callback_deliveries_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "calls"."calls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "callback_deliveries_call_seq_idx" ON "calls"."callback_deliveries" USING btree ("call_id","sequence");--> statement-breakpoint
CREATE INDEX "callback_deliveries_due_idx" ON "calls"."callback_deliveries" USING btree ("next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "calls_tenant_idx" ON "calls"."calls" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "calls_tenant_session_idx" ON "calls"."calls" USING btree ("tenant_id","session_id","id");--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "calls"."idempotency_keys" USING btree ("created_at");