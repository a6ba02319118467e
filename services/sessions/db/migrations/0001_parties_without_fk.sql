ALTER TABLE "sessions"."session_parties" DROP CONSTRAINT "session_parties_session_id_sessions_id_fk";
--> statement-breakpoint
DROP INDEX "sessions"."sessions_open_number_idx";