/**
 * The kill -9 / restart loop: a hub in a child process, kept busy (fetches and sends
 * queued all the time, new products appearing on the webshop), killed with SIGKILL at
 * random moments and started again on the same data, `kills` times. After a quiet run
 * every marketplace must list every webshop product exactly once, and every start must
 * have started.
 *
 * @example
 * const r = await runKillLoop({ db: 'postgres', kills: 20, seed: 7 });
 * if (!r.ok) console.log(describeKillLoop(r)); // problems, and the command that replays the seed
 */
import fs from 'node:fs';
import pg from 'pg';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase, pgliteSnapshotFile, type DbKind } from './hub.js';
import { killHub, startHubProcess, type HubProcess } from './hub-process.js';
import { skuCounts } from './shops.js';
import { Prng } from '../model/prng.js';
import { demoProduct } from '../../src/storefront/catalog.js';
import { startStorefront, type Storefront } from '../../src/storefront/server.js';

export interface KillLoopOptions {
  db: DbKind;
  /** How many times the hub is killed (and started again). */
  kills: number;
  seed: number;
  /** Products on the webshop at the start (default 30); a few more appear during the loop. */
  products?: number;
  /** Each step as it happens. */
  onLog?: (line: string) => void;
}

export interface KillLoopResult {
  ok: boolean;
  db: DbKind;
  seed: number;
  kills: number;
  /** Starts that succeeded, and those refused (the hub exited or hung before it listened), with its output. */
  starts: number;
  refusedStarts: string[];
  /** Kills that landed while a marketplace was being written to. */
  killsMidWrite: number;
  products: number;
  problems: string[];
  /** Create requests the marketplaces received for a SKU they already held (information: a lost answer retried blind). */
  repeatedCreates: number;
  durationMs: number;
  replay: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ACTIVE = ['queued', 'running'];

export function killLoopReplay(o: Pick<KillLoopOptions, 'db' | 'kills' | 'seed'>): string {
  return `npm run soak -- kill-loop --db ${o.db} --seed ${o.seed} --kills ${o.kills}`;
}

export function describeKillLoop(r: KillLoopResult): string {
  const head = `kill-loop ${r.db} seed ${r.seed}: ${r.ok ? 'ok' : 'FAILED'} — ${r.kills} kills (${r.killsMidWrite} mid-write), ` +
    `${r.starts} starts, ${r.refusedStarts.length} refused, ${r.products} products, ${(r.durationMs / 1000).toFixed(1)} s`;
  if (r.ok) return head;
  return [head, ...r.problems.map((p) => `  - ${p}`), ...r.refusedStarts.map((s) => `  refused start: ${s.slice(-2000)}`), `  replay: ${r.replay}`].join('\n');
}

export async function runKillLoop(opts: KillLoopOptions): Promise<KillLoopResult> {
  const started = Date.now();
  const rng = new Prng(opts.seed);
  const log = (line: string) => opts.onLog?.(`${((Date.now() - started) / 1000).toFixed(1)}s ${line}`);
  const initial = opts.products ?? 30;
  const result: KillLoopResult = {
    ok: false, db: opts.db, seed: opts.seed, kills: 0, starts: 0, refusedStarts: [], killsMidWrite: 0, products: initial,
    problems: [], repeatedCreates: 0, durationMs: 0, replay: killLoopReplay(opts),
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-killloop-'));
  const database = opts.db === 'postgres' ? await freshDatabase('postgres') : null;
  const shop = await startStorefront({ key: `killloop-shop-${opts.seed}`, products: initial });
  const markets = [
    await startStorefront({ key: `killloop-m1-${opts.seed}`, products: [] }),
    await startStorefront({ key: `killloop-m2-${opts.seed}`, products: [] }),
  ];
  const env: Record<string, string> = {
    CHANNELSYNC_DATA: dataDir,
    CHANNELSYNC_SECRET: `kill-loop-secret-${opts.seed}`,
    // A short lease: on PostgreSQL the killed hub's jobs are taken up within seconds.
    CHANNELSYNC_LEASE_SECONDS: '2',
    CHANNELSYNC_WORKERS: '3',
    CHANNELSYNC_SCHEDULER: 'off',
    ...(database ? { DATABASE_URL: database.url! } : { CHANNELSYNC_TEST_SNAPSHOT: await pgliteSnapshotFile() }),
  };
  let hub: HubProcess | null = null;
  const start = async (): Promise<HubProcess | null> => {
    try {
      const h = await startHubProcess(env, { startTimeoutMs: 60_000 });
      result.starts++;
      return h;
    } catch (err) {
      result.refusedStarts.push((err as Error).message);
      log(`start refused: ${(err as Error).message.slice(0, 500)}`);
      return null;
    }
  };
  try {
    hub = await start();
    if (!hub) throw new Error('the first start failed');
    const connect = async (name: string, s: Storefront, settings?: unknown) => {
      const res = await hub!.api('POST', '/api/connections', {
        name, kind: 'custom', settings,
        config: { productsUrl: s.productsUrl, ordersUrl: s.ordersUrl, key: s.key, retryBaseMs: 5, retries: 4 },
      });
      if (res.status !== 201) throw new Error(`connect ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    };
    const source = await connect('Webshop', shop);
    const targets = [
      await connect('Market 1', markets[0], { absorb: { products: true } }),
      await connect('Market 2', markets[1], { absorb: { products: true } }),
    ];
    const writes = () => markets.reduce((n, m) => n + m.requests.length, 0);

    for (let k = 1; k <= opts.kills; k++) {
      for (const m of markets) m.setFaults({ delayMs: rng.int(2, 25) });
      // Busy: jobs queued all the time (a queued job asked again is the same job), and now and then a new product.
      let busy = true;
      const h = hub!;
      const driver = (async () => {
        while (busy) {
          const what = rng.weighted({ fetch: 3, send: 4, sync: 2, product: 1 });
          try {
            if (what === 'product') {
              const p = demoProduct(result.products++);
              shop.products.set(p._id!, p);
            } else {
              await h.api('POST', `/api/connections/${what === 'fetch' ? source : rng.pick(targets)}/${what}`);
            }
          } catch { /* the hub was killed under the request */ }
          await sleep(rng.int(30, 250));
        }
      })();
      // Killed at a random moment: after a random time, or just after a marketplace got a write.
      const before = writes();
      const midWrite = rng.chance(0.6);
      if (midWrite) {
        const deadline = Date.now() + 8000;
        while (writes() === before && Date.now() < deadline) await sleep(5);
        await sleep(rng.int(0, 150));
      } else {
        await sleep(rng.int(100, 2500));
      }
      const writing = writes() > before;
      await killHub(h);
      busy = false;
      await driver;
      result.kills++;
      if (writing) result.killsMidWrite++;
      log(`kill ${k}/${opts.kills}: ${writing ? 'during writes' : 'quiet'}; marketplaces hold ${markets.map((m) => m.products.size).join(' / ')} of ${result.products}`);
      // Writes already on the wire land, as they would in a real store.
      await sleep(60);
      hub = await start();
      if (!hub) hub = await start();
      log(`started again (${hub ? 'pid ' + hub.pid : 'refused twice'})`);
      if (!hub) throw new Error(`no start after kill ${k}`);
    }

    log('quiet run');
    // The quiet run: nothing new, no faults; whatever the kills left is taken up, then one more round of every job.
    for (const m of markets) m.setFaults({});
    const active = async () => {
      for (const id of [source, ...targets]) {
        const c = (await hub!.api('GET', `/api/connections/${id}`)).body;
        if (c.jobs.some((j: { state: string }) => ACTIVE.includes(j.state))) return true;
      }
      return false;
    };
    const quietBy = Date.now() + 60_000;
    while (await active()) {
      if (Date.now() > quietBy) { result.problems.push('jobs still queued or running 60 s after the last start'); break; }
      await sleep(200);
    }
    const run = async (type: string, id: string) => hub!.waitJob((await hub!.api('POST', `/api/connections/${id}/${type}`)).body.jobId, 120_000);
    const fetched = await run('fetch', source);
    if (fetched.state !== 'completed') result.problems.push(`the final fetch ended ${fetched.state}: ${fetched.error}`);
    for (const [i, id] of targets.entries()) {
      let last: any = null;
      for (let round = 0; round < 3; round++) {
        last = await run('send', id);
        const conn = (await hub!.api('GET', `/api/connections/${id}`)).body;
        if (last.state === 'completed' && conn.pending.total === 0) break;
      }
      if (last.state !== 'completed') result.problems.push(`the final send to market ${i + 1} ended ${last.state}: ${last.error}`);
      const conn = (await hub!.api('GET', `/api/connections/${id}`)).body;
      if (conn.pending.total !== 0) result.problems.push(`market ${i + 1}: ${conn.pending.total} changes still pending after the quiet run`);
    }

    const skus = [...shop.products.values()].map((p) => String(p.sku)).sort();
    for (const [i, m] of markets.entries()) {
      const counts = skuCounts(m);
      const twice = [...counts].filter(([, n]) => n > 1);
      if (twice.length) result.problems.push(`market ${i + 1} lists ${twice.length} SKUs more than once: ${twice.slice(0, 5).map(([s, n]) => `${s} x${n}`).join(', ')}`);
      const missing = skus.filter((s) => !counts.has(s));
      if (missing.length) result.problems.push(`market ${i + 1} misses ${missing.length} products: ${missing.slice(0, 5).join(', ')}`);
      const extra = [...counts.keys()].filter((s) => !skus.includes(s));
      if (extra.length) result.problems.push(`market ${i + 1} lists ${extra.length} products the webshop does not have: ${extra.slice(0, 5).join(', ')}`);
      const creates = new Map<string, number>();
      for (const r of m.requests) if (r.path === '/api/product') creates.set(String((r.body as { sku?: string }).sku), (creates.get(String((r.body as { sku?: string }).sku)) ?? 0) + 1);
      result.repeatedCreates += [...creates.values()].reduce((n, c) => n + c - 1, 0);
    }
    if (result.refusedStarts.length) result.problems.push(`${result.refusedStarts.length} starts refused`);
  } catch (err) {
    result.problems.push(`the loop stopped: ${(err as Error).stack ?? err}`);
  }
  if (result.problems.length > 0) result.problems.push(`state at the end: ${await diagnose(hub, database?.url).catch((e) => String(e))}`);
  if (hub) await killHub(hub, 'SIGTERM');
  await Promise.all([shop.close(), ...markets.map((m) => m.close())]);
  await database?.drop().catch(() => undefined);
  fs.rmSync(dataDir, { recursive: true, force: true });
  result.ok = result.problems.length === 0;
  result.durationMs = Date.now() - started;
  return result;
}

/** What was left unfinished, for a failure's report: jobs not ended, lanes held, their pg-boss messages. */
async function diagnose(hub: HubProcess | null, url: string | undefined): Promise<string> {
  if (url) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const jobs = (await c.query(`select j.id, j.type, j.state, j.phase, j.attempts, j.lease_owner, j.lease_expires_at < now() as expired, j.queued_at, j.error,
          (select json_agg(json_build_object('state', b.state, 'started', b.started_on, 'created', b.created_on)) from pgboss.job b where b.data->>'jobId' = j.id::text) as messages
        from jobs j where j.state in ('queued', 'running')`)).rows;
      const locks = (await c.query(`select *, expires_at < now() as expired from connection_locks`)).rows;
      return JSON.stringify({ now: new Date(), jobs, locks });
    } finally {
      await c.end();
    }
  }
  if (!hub) return 'no hub running';
  const conns = (await hub.api('GET', '/api/connections')).body;
  const out = [];
  for (const c of conns.items ?? conns) out.push({ name: c.name, jobs: (await hub.api('GET', `/api/connections/${c.id}`)).body.jobs });
  return JSON.stringify(out);
}
