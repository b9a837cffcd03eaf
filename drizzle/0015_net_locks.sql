-- A statement that moves a net's sequence (records_added, orders_changed) also takes a shared
-- advisory lock until its transaction ends. A send that read the sequence then takes the
-- lock exclusively, for a moment: once it has it, every transaction counted in what it read
-- has committed or rolled back, so its look sees all they added (src/engine/net-marks.ts).
CREATE OR REPLACE FUNCTION cs_records_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows WHERE entity = 'product') THEN
    PERFORM pg_advisory_xact_lock_shared(724002);
    PERFORM nextval('records_added');
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_orders_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows WHERE entity = 'order') THEN
    PERFORM pg_advisory_xact_lock_shared(724003);
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
    PERFORM pg_advisory_xact_lock_shared(724003);
    PERFORM nextval('orders_changed');
  END IF;
  RETURN NULL;
END $$;
