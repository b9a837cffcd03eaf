/**
 * The "did you mean" benchmark: a set expression naming an unknown connection, among
 * many connections with long names (and one stored before names had a limit), answered
 * with its 400 the way GET /api/products answers it. Target: each under 50 ms (before
 * the bounded suggestion, one 120-character word beside one very long name took seconds).
 * Prints figures; not a test.
 *
 *   npx tsx bench/suggest.bench.ts [--connections 1000]
 */
import type { Hub } from '../src/hub.js';
import { compileSet } from '../src/engine/sets.js';

const args = process.argv.slice(2);
const i = args.indexOf('--connections');
const N = i >= 0 ? Number(args[i + 1]) : 1000;
const TARGET_MS = 50;
// One run first, for the JIT.
await compileSet({ db: { rows: async () => [] } } as unknown as Hub, 'product', 'products on nowhere').catch(() => undefined);

const conns = Array.from({ length: N }, (_, k) => ({
  id: `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`,
  name: k === 0 ? `Legacy ${'x'.repeat(1_000_000)}` : `Shop ${k} ${'name '.repeat(38)}`.slice(0, 200),
  kind: k % 2 ? 'custom' : 'woocommerce',
  settings: {},
}));
const hub = { db: { rows: async () => conns } } as unknown as Hub;

const queries = [
  `products on ${'q'.repeat(120)}`,
  `on ${'unknown shop name '.repeat(20)}, with stock`,
  `products on Shop 12 name nam`,
  `${'wat '.repeat(400)}`.slice(0, 2000),
];
let worst = 0;
for (const q of queries) {
  const started = performance.now();
  let message = '';
  try { await compileSet(hub, 'product', q); } catch (err) { message = (err as Error).message; }
  const ms = performance.now() - started;
  worst = Math.max(worst, ms);
  console.log(`${ms.toFixed(1).padStart(8)} ms  ${message.length} chars  ${q.slice(0, 50)}…`);
}
console.log(`worst ${worst.toFixed(1)} ms (target ${TARGET_MS} ms): ${worst <= TARGET_MS ? 'ok' : 'OVER'}`);
