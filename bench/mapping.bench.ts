/**
 * The listing-rules benchmark (issue 8): project() runs for every record of every
 * connection on every replan, so a connection with a full mapping (category table,
 * translations, five mapping groups with templates, currency, publish rules) must
 * stay close to one without. Prints microseconds per record; not a test.
 *
 *   npx tsx bench/mapping.bench.ts [--products 100000]
 */
import { Product } from '../src/model/product.js';
import { ConnectionSettings } from '../src/model/settings.js';
import { project } from '../src/engine/rules.js';
import { demoProduct } from '../src/storefront/catalog.js';
import { fromStore } from '../src/connectors/custom/product.mapper.js';

const args = process.argv.slice(2);
const i = args.indexOf('--products');
const N = i >= 0 ? Number(args[i + 1]) : 100_000;

const records: Product[] = [];
for (let k = 0; k < N; k++) {
  const r = fromStore(demoProduct(k));
  if (r.ok) records.push(Product.parse({ ...r.record, variations: r.record.variations.map(({ id: _id, ...v }) => v) }));
}

const plain = ConnectionSettings.parse({ price: { marginPercent: 12, add: 0, round: 'cents99' }, stock: { buffer: 1, max: null } });
const mapped = ConnectionSettings.parse({
  price: { marginPercent: 12, add: 0, round: 'cents99' }, stock: { buffer: 1, max: null },
  categoryMap: [
    { category: 'Apparel', to: 'Clothing' }, { category: 'Footwear', to: 'Shoes' }, { tag: 'bags', to: 'Bags' },
    { brand: 'Orbit Audio', to: 'Audio' }, { set: 'of category Outdoor, with stock', to: 'Outdoor' },
  ],
  defaultCategory: 'Other',
  attributes: { translations: { color: { Black: 'Schwarz', White: 'Weiss', Red: 'Rot', Navy: 'Marine' }, size: { XL: 'Extra Large' } } },
  groups: [
    { name: 'Tees', select: 'tagged tees', title: '{brand} {title} {size}', priority: 3 },
    { name: 'Shoes', select: 'of category Footwear', title: '{brand} {model} {title}', category: 'Shoes' },
    { name: 'Premium', select: 'tagged premium', description: '{description} ({brand})', overrides: ['Tees'] },
    { name: 'Audio', select: 'of brand "Orbit Audio", with barcode', fields: { deliveryDays: 2 } },
    { name: 'All', select: '', fields: { mpn: '{mpn}-X' }, priority: -1 },
  ],
  currency: { code: 'EUR', rates: { USD: 0.92, MXN: 0.05 }, round: 'cents99' },
  deliveryDays: 4,
  publish: { newRecords: 'unpublished', unpublishAtZeroStock: true },
});

function run(label: string, settings: ConnectionSettings): number {
  for (let k = 0; k < Math.min(5000, records.length); k++) project(records[k], settings);
  const start = process.hrtime.bigint();
  let sink = 0;
  for (const r of records) sink += project(r, settings, undefined, null).variations.length;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`${label.padEnd(28)} ${records.length} records  ${ms.toFixed(0)} ms  ${((ms * 1000) / records.length).toFixed(2)} µs/record  (${sink})`);
  return ms;
}

const a = run('price + stock rules', plain);
const b = run('with a full mapping', mapped);
console.log(`listing rules cost ${(b / a).toFixed(1)}x the price and stock rules alone`);
