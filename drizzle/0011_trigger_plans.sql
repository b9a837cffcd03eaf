-- The statements of these triggers join a transition table to a big table. PL/pgSQL keeps
-- the plan of its first call: planned for a page of 250 rows, it hashed the whole of
-- listing_facts for every later call of 2 (8 ms each on 20,000 listings). EXECUTE plans
-- each call for the rows it really has (transition tables are visible to it).
CREATE OR REPLACE FUNCTION cs_pending_facts_set() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'UPDATE listing_facts l SET pending = n.op
    FROM new_rows n WHERE l.equivalence_id = n.equivalence_id AND l.pending IS DISTINCT FROM n.op';
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_pending_facts_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'UPDATE listing_facts l SET pending = NULL
    FROM old_rows o WHERE l.equivalence_id = o.equivalence_id AND l.pending IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM pending_changes p WHERE p.equivalence_id = o.equivalence_id)';
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_records_facts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'DELETE FROM record_facts f USING old_rows o WHERE f.id = o.id';
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_equivalences_facts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'DELETE FROM listing_facts l USING old_rows o WHERE l.equivalence_id = o.id';
  RETURN NULL;
END $$;
