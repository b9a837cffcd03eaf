CREATE TABLE "forward_checks" (
	"connection_id" uuid PRIMARY KEY NOT NULL,
	"orders_mark" bigint NOT NULL,
	"checked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "forward_checks" ADD CONSTRAINT "forward_checks_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Bumped once per statement that inserts orders, or changes an order's status (a cancelled
-- order is not forwarded; one that is no longer cancelled may have to be): outside
-- transactions, so a send sees at once that its last look for unforwarded orders is stale.
CREATE SEQUENCE IF NOT EXISTS "orders_changed";
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_orders_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows WHERE entity = 'order') THEN
    PERFORM nextval('orders_changed');
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_orders_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows WHERE entity = 'order')
    AND EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n.entity = 'order' AND (n.data -> 'status' IS DISTINCT FROM o.data -> 'status'
        OR n.source_connection_id IS DISTINCT FROM o.source_connection_id)) THEN
    PERFORM nextval('orders_changed');
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER orders_added AFTER INSERT ON records
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_orders_added();
--> statement-breakpoint
CREATE TRIGGER orders_status_changed AFTER UPDATE ON records
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_orders_status_changed();
