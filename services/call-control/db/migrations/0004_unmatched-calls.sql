ALTER TABLE "calls"."calls" ALTER COLUMN "session_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "calls"."calls" ALTER COLUMN "from_party" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "calls"."calls" ALTER COLUMN "to_party" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "calls"."calls" ALTER COLUMN "to_phone" DROP NOT NULL;