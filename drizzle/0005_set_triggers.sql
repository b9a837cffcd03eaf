-- record_facts and listing_facts follow records, equivalences and pending_changes through
-- statement-level triggers (one set-based statement per write statement, not one call per
-- row). The code never writes these tables; if it ever stops matching, this file is the
-- place to look. Every expression here accepts any stored JSON and never raises: a trigger
-- that raised would block the write of the record itself.

-- As in 0002, without `has` (now the bits of cs_product_has), plus `skus` (of the variations,
-- as written); everything else lower-cased in one pass over the text.
CREATE OR REPLACE FUNCTION cs_product_facts(d jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(jsonb_build_object(
      'brand', CASE WHEN jsonb_typeof(d -> 'brand') = 'string' THEN btrim(d ->> 'brand') END,
      'size', jsonb_path_query_array(d, 'lax $.variations[*].size ? (@.type() == "string")', '{}', true),
      'color', jsonb_path_query_array(d, 'lax $.variations[*].color ? (@.type() == "string")', '{}', true),
      'category', jsonb_path_query_array(d, 'lax $.categories[*] ? (@.type() == "string")', '{}', true))::text)::jsonb
    || jsonb_build_object('skus', jsonb_path_query_array(d, 'lax $.variations[*].sku ? (@.type() == "string" && @ != "")', '{}', true))
$$;
--> statement-breakpoint
-- One bit per field with a value, on the product or on any variation (a non-empty text or
-- list, or a number). The bits are FIELDS in src/engine/sets.ts: change both together.
-- One cheap test per field: listing the keys with .keyvalue() costs several times more per write.
CREATE OR REPLACE FUNCTION cs_product_has(d jsonb) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (CASE WHEN jsonb_typeof(d -> 'sku') = 'string' AND d ->> 'sku' <> '' THEN 1 ELSE 0 END)
    | (CASE WHEN jsonb_typeof(d -> 'title') = 'string' AND d ->> 'title' <> '' THEN 2 ELSE 0 END)
    | (CASE WHEN jsonb_typeof(d -> 'description') = 'string' AND d ->> 'description' <> '' THEN 4 ELSE 0 END)
    | (CASE WHEN jsonb_typeof(d -> 'brand') = 'string' AND d ->> 'brand' <> '' THEN 8 ELSE 0 END)
    | (CASE WHEN jsonb_typeof(d -> 'mpn') = 'string' AND d ->> 'mpn' <> '' THEN 16 ELSE 0 END)
    | (CASE WHEN jsonb_typeof(d -> 'model') = 'string' AND d ->> 'model' <> '' THEN 32 ELSE 0 END)
    | (CASE WHEN jsonb_typeof(d -> 'url') = 'string' AND d ->> 'url' <> '' THEN 64 ELSE 0 END)
    | (CASE WHEN jsonb_typeof(d -> 'tags') = 'array' AND d -> 'tags' <> '[]'::jsonb THEN 128 ELSE 0 END)
    | (CASE WHEN jsonb_typeof(d -> 'categories') = 'array' AND d -> 'categories' <> '[]'::jsonb THEN 256 ELSE 0 END)
    | (CASE WHEN jsonb_typeof(d -> 'deliveryDays') = 'number' THEN 512 ELSE 0 END)
    | (CASE WHEN jsonb_typeof(d -> 'variations') = 'array' AND d -> 'variations' <> '[]'::jsonb THEN 1024 ELSE 0 END)
    | (CASE WHEN d @? 'lax $.variations[*] ? (@.barcode.type() == "string" && @.barcode != "")' THEN 2048 ELSE 0 END)
    | (CASE WHEN d @? 'lax $.variations[*] ? (@.size.type() == "string" && @.size != "")' THEN 4096 ELSE 0 END)
    | (CASE WHEN d @? 'lax $.variations[*] ? (@.color.type() == "string" && @.color != "")' THEN 8192 ELSE 0 END)
    | (CASE WHEN d @? 'lax $.variations[*] ? (@.images.type() == "array" && @.images.size() > 0)' THEN 16384 ELSE 0 END)
    | (CASE WHEN d @? 'lax $.variations[*] ? (@.videos.type() == "array" && @.videos.size() > 0)' THEN 32768 ELSE 0 END)
    | (CASE WHEN d @? 'lax $.variations[*] ? (@.prices.type() == "array" && @.prices.size() > 0)' THEN 65536 ELSE 0 END)
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_records_facts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO record_facts (id, entity, sku, has, facts, stock_total, price_min, status, date_created)
  SELECT n.id, n.entity, CASE WHEN n.entity = 'order' AND jsonb_typeof(n.data -> 'number') = 'string' THEN n.data ->> 'number' ELSE n.sku END,
    CASE WHEN n.entity = 'product' THEN cs_product_has(n.data) ELSE 0 END,
    CASE WHEN n.entity = 'product' THEN cs_product_facts(n.data) END,
    CASE WHEN n.entity = 'product' THEN cs_stock_total(n.data) END,
    CASE WHEN n.entity = 'product' THEN cs_price_min(n.data) END,
    CASE WHEN jsonb_typeof(n.data -> 'status') = 'string' THEN n.data ->> 'status' END,
    CASE WHEN jsonb_typeof(n.data -> 'dateCreated') = 'string' THEN n.data ->> 'dateCreated' END
  FROM new_rows n
  ON CONFLICT (id) DO UPDATE SET entity = excluded.entity, sku = excluded.sku, has = excluded.has, facts = excluded.facts,
    stock_total = excluded.stock_total, price_min = excluded.price_min, status = excluded.status, date_created = excluded.date_created;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_records_facts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO record_facts (id, entity, sku, has, facts, stock_total, price_min, status, date_created)
  SELECT n.id, n.entity, CASE WHEN n.entity = 'order' AND jsonb_typeof(n.data -> 'number') = 'string' THEN n.data ->> 'number' ELSE n.sku END,
    CASE WHEN n.entity = 'product' THEN cs_product_has(n.data) ELSE 0 END,
    CASE WHEN n.entity = 'product' THEN cs_product_facts(n.data) END,
    CASE WHEN n.entity = 'product' THEN cs_stock_total(n.data) END,
    CASE WHEN n.entity = 'product' THEN cs_price_min(n.data) END,
    CASE WHEN jsonb_typeof(n.data -> 'status') = 'string' THEN n.data ->> 'status' END,
    CASE WHEN jsonb_typeof(n.data -> 'dateCreated') = 'string' THEN n.data ->> 'dateCreated' END
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE o.data IS DISTINCT FROM n.data OR o.sku IS DISTINCT FROM n.sku OR o.entity IS DISTINCT FROM n.entity
  ON CONFLICT (id) DO UPDATE SET entity = excluded.entity, sku = excluded.sku, has = excluded.has, facts = excluded.facts,
    stock_total = excluded.stock_total, price_min = excluded.price_min, status = excluded.status, date_created = excluded.date_created;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_equivalences_facts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO listing_facts (equivalence_id, record_id, connection_id, entity, listed, gone, pending, ack_status, ack_categories)
  SELECT n.id, n.record_id, n.connection_id, n.entity, n.external_id IS NOT NULL AND n.status <> 'gone', n.status = 'gone',
    (SELECT p.op FROM pending_changes p WHERE p.equivalence_id = n.id),
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
  INSERT INTO listing_facts (equivalence_id, record_id, connection_id, entity, listed, gone, pending, ack_status, ack_categories)
  SELECT n.id, n.record_id, n.connection_id, n.entity, n.external_id IS NOT NULL AND n.status <> 'gone', n.status = 'gone',
    (SELECT p.op FROM pending_changes p WHERE p.equivalence_id = n.id),
    CASE WHEN jsonb_typeof(n.ack -> 'status') = 'string' THEN n.ack ->> 'status' END,
    CASE WHEN jsonb_typeof(n.ack -> 'categories') = 'array' THEN lower((n.ack -> 'categories')::text)::jsonb END
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  -- A fetch stamps every listing it sees: only what changes a fact is worth a write.
  WHERE o.external_id IS DISTINCT FROM n.external_id OR o.status IS DISTINCT FROM n.status
    OR o.record_id IS DISTINCT FROM n.record_id OR o.connection_id IS DISTINCT FROM n.connection_id
    OR o.entity IS DISTINCT FROM n.entity OR o.ack IS DISTINCT FROM n.ack
  ON CONFLICT (equivalence_id) DO UPDATE SET record_id = excluded.record_id, connection_id = excluded.connection_id,
    entity = excluded.entity, listed = excluded.listed, gone = excluded.gone, pending = excluded.pending,
    ack_status = excluded.ack_status, ack_categories = excluded.ack_categories;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_pending_facts_set() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE listing_facts l SET pending = n.op
  FROM new_rows n WHERE l.equivalence_id = n.equivalence_id AND l.pending IS DISTINCT FROM n.op;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_pending_facts_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE listing_facts l SET pending = NULL
  FROM old_rows o WHERE l.equivalence_id = o.equivalence_id AND l.pending IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM pending_changes p WHERE p.equivalence_id = o.equivalence_id);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_records_facts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM record_facts f USING old_rows o WHERE f.id = o.id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cs_equivalences_facts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM listing_facts l USING old_rows o WHERE l.equivalence_id = o.id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER records_facts_delete AFTER DELETE ON records
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_records_facts_delete();
--> statement-breakpoint
CREATE TRIGGER equivalences_facts_delete AFTER DELETE ON equivalences
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_equivalences_facts_delete();
--> statement-breakpoint
CREATE TRIGGER records_facts_insert AFTER INSERT ON records
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_records_facts_insert();
--> statement-breakpoint
CREATE TRIGGER records_facts_update AFTER UPDATE ON records
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_records_facts_update();
--> statement-breakpoint
CREATE TRIGGER equivalences_facts_insert AFTER INSERT ON equivalences
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_equivalences_facts_insert();
--> statement-breakpoint
CREATE TRIGGER equivalences_facts_update AFTER UPDATE ON equivalences
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_equivalences_facts_update();
--> statement-breakpoint
CREATE TRIGGER pending_changes_facts_insert AFTER INSERT ON pending_changes
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_pending_facts_set();
--> statement-breakpoint
CREATE TRIGGER pending_changes_facts_update AFTER UPDATE ON pending_changes
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_pending_facts_set();
--> statement-breakpoint
CREATE TRIGGER pending_changes_facts_delete AFTER DELETE ON pending_changes
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_pending_facts_clear();
--> statement-breakpoint
-- Existing data: write the facts once (a fresh database has none).
INSERT INTO record_facts (id, entity, sku, has, facts, stock_total, price_min, status, date_created)
SELECT r.id, r.entity, CASE WHEN r.entity = 'order' AND jsonb_typeof(r.data -> 'number') = 'string' THEN r.data ->> 'number' ELSE r.sku END,
  CASE WHEN r.entity = 'product' THEN cs_product_has(r.data) ELSE 0 END,
  CASE WHEN r.entity = 'product' THEN cs_product_facts(r.data) END,
  CASE WHEN r.entity = 'product' THEN cs_stock_total(r.data) END,
  CASE WHEN r.entity = 'product' THEN cs_price_min(r.data) END,
  CASE WHEN jsonb_typeof(r.data -> 'status') = 'string' THEN r.data ->> 'status' END,
  CASE WHEN jsonb_typeof(r.data -> 'dateCreated') = 'string' THEN r.data ->> 'dateCreated' END
FROM records r ON CONFLICT (id) DO NOTHING;
--> statement-breakpoint
INSERT INTO listing_facts (equivalence_id, record_id, connection_id, entity, listed, gone, pending, ack_status, ack_categories)
SELECT e.id, e.record_id, e.connection_id, e.entity, e.external_id IS NOT NULL AND e.status <> 'gone', e.status = 'gone',
  (SELECT p.op FROM pending_changes p WHERE p.equivalence_id = e.id),
  CASE WHEN jsonb_typeof(e.ack -> 'status') = 'string' THEN e.ack ->> 'status' END,
  CASE WHEN jsonb_typeof(e.ack -> 'categories') = 'array' THEN lower((e.ack -> 'categories')::text)::jsonb END
FROM equivalences e ON CONFLICT (equivalence_id) DO NOTHING;
