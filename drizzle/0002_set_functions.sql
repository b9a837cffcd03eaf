-- Facts of a product record that the sets of the search bar ask about, kept in
-- generated columns (next migration) so that a set over 100,000 products reads an
-- index instead of walking every record's JSON. Each function accepts any jsonb
-- (records stored by older versions, broken data) and never raises: a generated
-- column that raised would block the write of the record itself.

-- { has: [keys with a value, top-level and of any variation], brand, size: [...], color: [...], category: [...] }, lower-cased.
CREATE OR REPLACE FUNCTION cs_product_facts(d jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_build_object(
    'has', jsonb_path_query_array(d, 'lax $ ? (@.type() == "object").keyvalue() ? ((@.value.type() == "string" && @.value != "") || (@.value.type() == "array" && @.value.size() > 0) || @.value.type() == "number").key', '{}', true)
      || jsonb_path_query_array(d, 'lax $.variations[*] ? (@.type() == "object").keyvalue() ? ((@.value.type() == "string" && @.value != "") || (@.value.type() == "array" && @.value.size() > 0)).key', '{}', true),
    'brand', lower(CASE WHEN jsonb_typeof(d -> 'brand') = 'string' THEN btrim(d ->> 'brand') END),
    'size', lower(jsonb_path_query_array(d, 'lax $.variations[*].size ? (@.type() == "string")', '{}', true)::text)::jsonb,
    'color', lower(jsonb_path_query_array(d, 'lax $.variations[*].color ? (@.type() == "string")', '{}', true)::text)::jsonb,
    'category', lower(jsonb_path_query_array(d, 'lax $.categories[*] ? (@.type() == "string")', '{}', true)::text)::jsonb)
$$;
--> statement-breakpoint
-- Total quantity over every variation and location tag.
CREATE OR REPLACE FUNCTION cs_stock_total(d jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(sum(q::numeric), 0)
  FROM jsonb_path_query(d, 'lax $.variations[*].availabilities[*].quantity ? (@.type() == "number")', '{}', true) q
$$;
--> statement-breakpoint
-- The lowest price; null when the product has no variation or a variation has no price.
CREATE OR REPLACE FUNCTION cs_price_min(d jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(d -> 'variations') IS DISTINCT FROM 'array' OR d -> 'variations' = '[]'::jsonb
      OR jsonb_path_exists(d, 'lax $.variations[*] ? (!exists(@.prices[*].amount ? (@.type() == "number")))', '{}', true)
    THEN NULL
    ELSE (SELECT min(a::numeric) FROM jsonb_path_query(d, 'lax $.variations[*].prices[*].amount ? (@.type() == "number")', '{}', true) a)
  END
$$;
