CREATE TABLE "order_forwards" (
	"connection_id" uuid NOT NULL,
	"order_record_id" uuid NOT NULL,
	"forced" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "order_forwards_connection_id_order_record_id_pk" PRIMARY KEY("connection_id","order_record_id")
);
--> statement-breakpoint
CREATE TABLE "reservations" (
	"order_record_id" uuid NOT NULL,
	"product_record_id" uuid NOT NULL,
	"variation" text NOT NULL,
	"quantity" integer NOT NULL,
	"source_connection_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"landed_connection_id" uuid,
	"landed_at" timestamp with time zone,
	"released_at" timestamp with time zone,
	"release_reason" text,
	CONSTRAINT "reservations_order_record_id_product_record_id_variation_pk" PRIMARY KEY("order_record_id","product_record_id","variation")
);
--> statement-breakpoint
ALTER TABLE "order_forwards" ADD CONSTRAINT "order_forwards_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_forwards" ADD CONSTRAINT "order_forwards_order_record_id_records_id_fk" FOREIGN KEY ("order_record_id") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_order_record_id_records_id_fk" FOREIGN KEY ("order_record_id") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_product_record_id_records_id_fk" FOREIGN KEY ("product_record_id") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reservations_open_product" ON "reservations" USING btree ("product_record_id") WHERE released_at is null;--> statement-breakpoint
CREATE UNIQUE INDEX "equivalences_one_order" ON "equivalences" USING btree ("connection_id","record_id") WHERE entity = 'order';