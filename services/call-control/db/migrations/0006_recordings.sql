CREATE TABLE "calls"."recordings" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"call_id" text NOT NULL,
	"session_id" text NOT NULL,
	"status" text NOT NULL,
	"rtpengine" text NOT NULL,
	"media_call_id" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"answered_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"notice_file" text,
	"notice_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"object_key" text,
	"content_type" text,
	"duration_ms" integer,
	"size_bytes" integer,
	"sha256" text,
	"ready_at" timestamp with time zone,
	"delete_after" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"deletion_reason" text,
	"deleted_by_key_id" text,
	"deleted_by_key_prefix" text,
	"deletion_request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "recordings_call_idx" ON "calls"."recordings" USING btree ("call_id");--> statement-breakpoint
CREATE INDEX "recordings_tenant_idx" ON "calls"."recordings" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "recordings_due_idx" ON "calls"."recordings" USING btree ("next_attempt_at") WHERE status in ('recording', 'pending');--> statement-breakpoint
CREATE INDEX "recordings_retention_idx" ON "calls"."recordings" USING btree ("delete_after") WHERE status = 'ready';