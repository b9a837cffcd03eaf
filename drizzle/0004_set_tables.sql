CREATE TABLE "listing_facts" (
	"equivalence_id" uuid PRIMARY KEY NOT NULL,
	"record_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"entity" text NOT NULL,
	"listed" boolean NOT NULL,
	"gone" boolean NOT NULL,
	"pending" text,
	"ack_status" text,
	"ack_categories" jsonb
);
--> statement-breakpoint
CREATE TABLE "record_facts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"entity" text NOT NULL,
	"sku" text DEFAULT '' NOT NULL,
	"has" integer DEFAULT 0 NOT NULL,
	"facts" jsonb,
	"stock_total" numeric,
	"price_min" numeric,
	"status" text,
	"date_created" text
);
--> statement-breakpoint
DROP INDEX "records_facts";--> statement-breakpoint
DROP INDEX "records_stock_total";--> statement-breakpoint
DROP INDEX "records_price_min";--> statement-breakpoint
DROP INDEX "records_order_date";--> statement-breakpoint
CREATE INDEX "listing_facts_connection" ON "listing_facts" USING btree ("connection_id","record_id");--> statement-breakpoint
CREATE INDEX "record_facts_order_date" ON "record_facts" USING btree ("date_created") WHERE entity = 'order';--> statement-breakpoint
CREATE INDEX "issues_open_equivalence" ON "issues" USING btree ("equivalence_id") WHERE resolved_at is null;--> statement-breakpoint
ALTER TABLE "records" DROP COLUMN "facts";--> statement-breakpoint
ALTER TABLE "records" DROP COLUMN "stock_total";--> statement-breakpoint
ALTER TABLE "records" DROP COLUMN "price_min";