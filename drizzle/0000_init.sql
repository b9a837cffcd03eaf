CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_tokens_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE TABLE "connection_locks" (
	"connection_id" uuid NOT NULL,
	"lane" text NOT NULL,
	"job_id" uuid NOT NULL,
	"owner" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "connection_locks_connection_id_lane_pk" PRIMARY KEY("connection_id","lane")
);
--> statement-breakpoint
CREATE TABLE "connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"config" jsonb NOT NULL,
	"secrets" text,
	"settings" jsonb NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"clocks" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "equivalences" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connection_id" uuid NOT NULL,
	"record_id" uuid NOT NULL,
	"entity" text NOT NULL,
	"external_id" text,
	"ack" jsonb,
	"fingerprint" text,
	"status" text NOT NULL,
	"create_attempted_at" timestamp with time zone,
	"last_seen_at" timestamp with time zone,
	"last_scan_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "issues" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connection_id" uuid,
	"record_id" uuid,
	"equivalence_id" uuid,
	"entity" text NOT NULL,
	"external_id" text,
	"severity" text NOT NULL,
	"code" text NOT NULL,
	"message" text NOT NULL,
	"origin" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"details" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type" text NOT NULL,
	"connection_id" uuid,
	"state" text NOT NULL,
	"phase" text,
	"done" integer DEFAULT 0 NOT NULL,
	"total" integer,
	"summary" jsonb,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "pending_changes" (
	"equivalence_id" uuid PRIMARY KEY NOT NULL,
	"connection_id" uuid NOT NULL,
	"record_id" uuid NOT NULL,
	"op" text NOT NULL,
	"changes" jsonb NOT NULL,
	"planned_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "record_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"record_id" uuid NOT NULL,
	"field" text NOT NULL,
	"old_value" jsonb,
	"new_value" jsonb,
	"source_type" text NOT NULL,
	"source_id" text,
	"job_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"entity" text NOT NULL,
	"sku" text DEFAULT '' NOT NULL,
	"data" jsonb NOT NULL,
	"source_connection_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "equivalences" ADD CONSTRAINT "equivalences_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "equivalences" ADD CONSTRAINT "equivalences_record_id_records_id_fk" FOREIGN KEY ("record_id") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pending_changes" ADD CONSTRAINT "pending_changes_equivalence_id_equivalences_id_fk" FOREIGN KEY ("equivalence_id") REFERENCES "public"."equivalences"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "equivalences_external" ON "equivalences" USING btree ("connection_id","entity","external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "equivalences_one_pending_insert" ON "equivalences" USING btree ("connection_id","entity","record_id") WHERE external_id is null;--> statement-breakpoint
CREATE INDEX "equivalences_record" ON "equivalences" USING btree ("record_id");--> statement-breakpoint
CREATE INDEX "equivalences_connection_status" ON "equivalences" USING btree ("connection_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "issues_open_dedupe" ON "issues" USING btree ("dedupe_key") WHERE resolved_at is null;--> statement-breakpoint
CREATE INDEX "issues_connection" ON "issues" USING btree ("connection_id");--> statement-breakpoint
CREATE INDEX "issues_record" ON "issues" USING btree ("record_id");--> statement-breakpoint
CREATE INDEX "jobs_connection" ON "jobs" USING btree ("connection_id","created_at");--> statement-breakpoint
CREATE INDEX "pending_changes_connection" ON "pending_changes" USING btree ("connection_id","op");--> statement-breakpoint
CREATE INDEX "record_history_record" ON "record_history" USING btree ("record_id","at");--> statement-breakpoint
CREATE INDEX "records_entity_sku" ON "records" USING btree ("entity","sku");