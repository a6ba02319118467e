CREATE TABLE "sessions"."session_pins" (
	"session_id" text NOT NULL,
	"tenant_id" text NOT NULL,
	"masked_e164" text NOT NULL,
	"pin" text NOT NULL,
	"party" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "session_pins_session_id_party_pk" PRIMARY KEY("session_id","party")
);
--> statement-breakpoint
ALTER TABLE "sessions"."sessions" ADD COLUMN "pin_required" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions"."sessions" ADD COLUMN "pin_length" integer;--> statement-breakpoint
ALTER TABLE "sessions"."sessions" ADD COLUMN "driver_pin" text;--> statement-breakpoint
ALTER TABLE "sessions"."sessions" ADD COLUMN "customer_pin" text;--> statement-breakpoint
ALTER TABLE "sessions"."sessions" ADD COLUMN "call_time_limit_seconds" integer;--> statement-breakpoint
ALTER TABLE "sessions"."sessions" ADD COLUMN "ring_timeout_seconds" integer;--> statement-breakpoint
ALTER TABLE "sessions"."sessions" ADD COLUMN "greeting_prompt" text;--> statement-breakpoint
CREATE UNIQUE INDEX "session_pins_number_pin_uq" ON "sessions"."session_pins" USING btree ("masked_e164","pin");