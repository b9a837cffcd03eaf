-- A bulk insert of product records may write their facts itself, in the same statement
-- (src/engine/facts.ts: computed by the app, far cheaper than the jsonpath functions).
-- The insert trigger then leaves those records alone and still covers every other insert.
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
  WHERE NOT EXISTS (SELECT 1 FROM record_facts f WHERE f.id = n.id)
  ON CONFLICT (id) DO UPDATE SET entity = excluded.entity, sku = excluded.sku, has = excluded.has, facts = excluded.facts,
    stock_total = excluded.stock_total, price_min = excluded.price_min, status = excluded.status, date_created = excluded.date_created;
  RETURN NULL;
END $$;
