CREATE TABLE "absorb_checks" (
	"connection_id" uuid PRIMARY KEY NOT NULL,
	"records_mark" bigint NOT NULL,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "absorb_checks" ADD CONSTRAINT "absorb_checks_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Bumped once per statement that inserts products: outside transactions, so a send sees at
-- once that products were added since it last found its connection holding every one.
CREATE SEQUENCE IF NOT EXISTS "records_added";
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_records_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows WHERE entity = 'product') THEN
    PERFORM nextval('records_added');
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER records_added AFTER INSERT ON records
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_records_added();
