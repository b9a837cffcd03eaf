ALTER TABLE "records" ADD COLUMN "facts" jsonb GENERATED ALWAYS AS (case when entity = 'product' then cs_product_facts(data) end) STORED;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "stock_total" numeric GENERATED ALWAYS AS (case when entity = 'product' then cs_stock_total(data) end) STORED;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "price_min" numeric GENERATED ALWAYS AS (case when entity = 'product' then cs_price_min(data) end) STORED;--> statement-breakpoint
CREATE INDEX "records_facts" ON "records" USING gin ("facts" jsonb_path_ops) WHERE entity = 'product';--> statement-breakpoint
CREATE INDEX "records_stock_total" ON "records" USING btree ("stock_total") WHERE entity = 'product';--> statement-breakpoint
CREATE INDEX "records_price_min" ON "records" USING btree ("price_min") WHERE entity = 'product';--> statement-breakpoint
CREATE INDEX "records_order_date" ON "records" USING btree ((data->>'dateCreated')) WHERE entity = 'order';