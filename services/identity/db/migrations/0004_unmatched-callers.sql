ALTER TABLE "identity"."tenants" ADD COLUMN "no_session_prompt" text;--> statement-breakpoint
ALTER TABLE "identity"."tenants" ADD COLUMN "not_a_party_prompt" text;--> statement-breakpoint
ALTER TABLE "identity"."tenants" ADD COLUMN "unmatched_callback_url" text;