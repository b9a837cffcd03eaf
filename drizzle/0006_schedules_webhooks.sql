CREATE TABLE "schedule_runs" (
	"connection_id" uuid NOT NULL,
	"entry" text NOT NULL,
	"spec" text NOT NULL,
	"next_run_at" timestamp with time zone NOT NULL,
	"last_run_at" timestamp with time zone,
	"last_job_id" uuid,
	CONSTRAINT "schedule_runs_connection_id_entry_pk" PRIMARY KEY("connection_id","entry")
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connection_id" uuid NOT NULL,
	"event_id" text NOT NULL,
	"type" text NOT NULL,
	"entity" text NOT NULL,
	"ids" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"job_id" uuid,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "scope" jsonb;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "origin" text DEFAULT 'manual' NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "lease_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "queued_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_events_dedupe" ON "webhook_events" USING btree ("connection_id","event_id");--> statement-breakpoint
CREATE INDEX "webhook_events_open" ON "webhook_events" USING btree ("connection_id","received_at") WHERE processed_at is null;--> statement-breakpoint
UPDATE "jobs" SET "state" = 'cancelled', "finished_at" = now(), "error" = 'A duplicate of an older queued job' WHERE "state" = 'queued' AND "id" NOT IN (SELECT DISTINCT ON ("connection_id", "type") "id" FROM "jobs" WHERE "state" = 'queued' ORDER BY "connection_id", "type", "created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_queued_once" ON "jobs" USING btree ("connection_id","type",coalesce((scope)::text, '')) WHERE state = 'queued';--> statement-breakpoint
CREATE INDEX "jobs_active" ON "jobs" USING btree ("state","lease_expires_at") WHERE state in ('queued', 'running');