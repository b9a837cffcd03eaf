/**
 * A reference custom storefront for manual use and demos.
 *
 * @example
 * PORT=4100 KEY=my-connection-key PRODUCTS=1000 ORDERS=50 npx tsx src/storefront/main.ts
 */
import { randomBytes } from 'node:crypto';
import { startStorefront } from './server.js';

const count = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${name} must be a whole number, got "${raw}"`);
    process.exit(2);
  }
  return n;
};

const key = process.env.KEY || randomBytes(24).toString('base64url');
const started = Date.now();
const shop = await startStorefront({
  port: count('PORT', 4100),
  host: process.env.HOST || '127.0.0.1',
  key,
  products: count('PRODUCTS', 1000),
  orders: count('ORDERS', 20),
  pageSize: count('PAGE_SIZE', 100),
});

console.log(`Reference storefront ready in ${Date.now() - started} ms`);
console.log(`  products  ${shop.productsUrl}  (${shop.products.size})`);
console.log(`  orders    ${shop.ordersUrl}  (${shop.orders.size})`);
console.log(`  key       ${process.env.KEY ? '(from KEY)' : key}`);

const stop = () => {
  shop.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
