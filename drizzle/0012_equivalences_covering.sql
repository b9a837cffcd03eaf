-- Every rescan asks, page after page, which listings it holds with the same fingerprint.
-- With fingerprint and status in the key's index that is an index-only scan once the table
-- is vacuumed: the wide rows (their acknowledged JSON) are not read at all. Drizzle cannot
-- declare INCLUDE columns; the schema keeps declaring the plain unique key, which this is.
DROP INDEX IF EXISTS "equivalences_external";
--> statement-breakpoint
CREATE UNIQUE INDEX "equivalences_external" ON "equivalences" USING btree ("connection_id","entity","external_id") INCLUDE ("fingerprint","status");
