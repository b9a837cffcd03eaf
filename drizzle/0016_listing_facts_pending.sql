-- The listing_facts triggers of equivalences looked up each listing's pending change with a
-- subquery, in a plan PL/pgSQL keeps from its first call. Planned while pending_changes was
-- empty (a first fetch no longer plans creates: src/engine/unplanned.ts), that plan read the
-- whole table once per listing: storing 10,000 creates took 4.5 s instead of 0.5 s.
-- A listing being inserted has no pending change yet (the change references it), so the insert
-- trigger writes none; the update trigger joins the pending changes in a plan made per call.
CREATE OR REPLACE FUNCTION cs_equivalences_facts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO listing_facts (equivalence_id, record_id, connection_id, entity, listed, gone, pending, ack_status, ack_categories)
  SELECT n.id, n.record_id, n.connection_id, n.entity, n.external_id IS NOT NULL AND n.status <> 'gone', n.status = 'gone',
    NULL,
    CASE WHEN jsonb_typeof(n.ack -> 'status') = 'string' THEN n.ack ->> 'status' END,
    CASE WHEN jsonb_typeof(n.ack -> 'categories') = 'array' THEN lower((n.ack -> 'categories')::text)::jsonb END
  FROM new_rows n
  ON CONFLICT (equivalence_id) DO UPDATE SET record_id = excluded.record_id, connection_id = excluded.connection_id,
    entity = excluded.entity, listed = excluded.listed, gone = excluded.gone, pending = excluded.pending,
    ack_status = excluded.ack_status, ack_categories = excluded.ack_categories;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_equivalences_facts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'INSERT INTO listing_facts (equivalence_id, record_id, connection_id, entity, listed, gone, pending, ack_status, ack_categories)
  SELECT n.id, n.record_id, n.connection_id, n.entity, n.external_id IS NOT NULL AND n.status <> ''gone'', n.status = ''gone'',
    p.op,
    CASE WHEN jsonb_typeof(n.ack -> ''status'') = ''string'' THEN n.ack ->> ''status'' END,
    CASE WHEN jsonb_typeof(n.ack -> ''categories'') = ''array'' THEN lower((n.ack -> ''categories'')::text)::jsonb END
  FROM new_rows n JOIN old_rows o ON o.id = n.id LEFT JOIN pending_changes p ON p.equivalence_id = n.id
  WHERE o.external_id IS DISTINCT FROM n.external_id OR o.status IS DISTINCT FROM n.status
    OR o.record_id IS DISTINCT FROM n.record_id OR o.connection_id IS DISTINCT FROM n.connection_id
    OR o.entity IS DISTINCT FROM n.entity OR o.ack IS DISTINCT FROM n.ack
  ON CONFLICT (equivalence_id) DO UPDATE SET record_id = excluded.record_id, connection_id = excluded.connection_id,
    entity = excluded.entity, listed = excluded.listed, gone = excluded.gone, pending = excluded.pending,
    ack_status = excluded.ack_status, ack_categories = excluded.ack_categories';
  RETURN NULL;
END $$;
