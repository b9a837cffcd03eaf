import v8 from 'node:v8';
import { Command, Option } from 'commander';
import { startHub, optionsFromEnv, type RunningHub } from './app.js';
import { startStorefront } from './storefront/server.js';
import { installProcessGuard } from './process-guard.js';

// V8 lets the heap grow to several times what is alive before it collects (on a machine with
// a lot of memory, up to 4x): a sync's garbage (pages read, JSON written) then sat in memory,
// and the hub's peak was about twice its live data. With the embedded database, whose ~170 MB
// share this process, the heap grows by half at most (no measurable loss of speed); on
// PostgreSQL it may double, which spends 7% less CPU on a rescan for 10 MB more
// (bench/sync.bench.ts). Read at each collection: set here, it applies to the whole run.
v8.setFlagsFromString(`--heap-growing-percent=${process.env.DATABASE_URL ? 100 : 50}`);
// The young generation's size, by contrast, is fixed when the heap is set up: `npm start` passes
// --max-semi-space-size=4 (package.json) to keep it at 8 MB instead of 32 MB.

const program = new Command();
program.name('channelsync').description('Catalog, stock and orders in sync across every place you sell.').version('0.1.0');
// The long-running commands keep serving whatever one platform answers (src/process-guard.ts).
program.hook('preAction', (_p, cmd) => { if (['start', 'worker', 'demo'].includes(cmd.name())) installProcessGuard(); });

function onShutdown(close: () => Promise<void>) {
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) process.exit(1);
      stopping = true;
      console.error(`\n${sig}: finishing the current page and stopping...`);
      close().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
    });
  }
}

function printStarted(running: RunningHub, extra = '') {
  const db = running.hub.db.kind === 'pglite' ? `embedded database in ${process.env.CHANNELSYNC_DATA ?? './data'}` : 'PostgreSQL (DATABASE_URL)';
  console.log(`channelsync is running on ${running.url ?? '(no API: worker only)'} with the ${db}.${extra}`);
  if (running.url) console.log(`  panel: ${running.url}/   API: ${running.url}/api/openapi.json`);
  if (running.listening) {
    const everywhere = /^(0\.0\.0\.0|\[::\]):/.test(running.listening);
    console.log(`  listening on ${running.listening}${everywhere ? ' (every network interface)' : ''}`);
  }
  if (running.open) {
    console.log('  No API token exists: the API is open, so the hub listens on this machine only (loopback).');
    console.log('  To reach it from elsewhere: `channelsync token create` (or set CHANNELSYNC_TOKEN), then start it with HOST=0.0.0.0.');
  }
}

program.command('start')
  .description('Start the hub: HTTP API, web panel and workers (PORT, CHANNELSYNC_DATA, DATABASE_URL, CHANNELSYNC_TOKEN)')
  .option('-p, --port <port>', 'port (default: PORT or 8080)')
  .option('--no-worker', 'serve the API without running jobs here')
  .action(async (opts: { port?: string; worker: boolean }) => {
    const base = optionsFromEnv();
    const running = await startHub({ ...base, port: opts.port ? Number(opts.port) : base.port, workers: opts.worker ? base.workers : 0 })
      .catch(fail);
    onShutdown(() => running.close());
    printStarted(running);
    if (!opts.worker && running.hub.db.kind === 'pglite') {
      console.warn('  Note: --no-worker on the embedded database: jobs are queued but no process can run them. Use DATABASE_URL and `channelsync worker` processes.');
    }
  });

program.command('worker')
  .description('Run jobs without serving the API (with DATABASE_URL, any number of these share one queue)')
  .option('-j, --jobs <n>', 'jobs run at once in this process (default: CHANNELSYNC_WORKERS or 4)')
  .action(async (opts: { jobs?: string }) => {
    const base = optionsFromEnv();
    const jobs = opts.jobs === undefined ? base.workers : Number(opts.jobs);
    if (!Number.isInteger(jobs) || jobs! < 1) fail(new Error(`--jobs must be a whole number of at least 1, got "${opts.jobs}"`));
    const running = await startHub({ ...base, workers: jobs, api: false }).catch(fail);
    onShutdown(() => running.close());
    printStarted(running);
  });

program.command('demo')
  .description('Start the hub plus two reference storefronts: "Demo webshop" full of products and an empty "Demo marketplace" that absorbs them')
  .option('--products <n>', 'products in the demo webshop', '500')
  .action(async (opts: { products: string }) => {
    // The demo storefronts run on this machine: let the hub's connections reach loopback.
    process.env.CHANNELSYNC_ALLOW_PRIVATE_TARGETS = '1';
    const key1 = 'demo-webshop-key-0001';
    const key2 = 'demo-marketplace-key-0002';
    const shop = await startStorefront({ key: key1, port: Number(process.env.DEMO_SHOP_PORT ?? 8181), products: Number(opts.products), orders: 10 });
    const market = await startStorefront({ key: key2, port: Number(process.env.DEMO_MARKET_PORT ?? 8182), products: [] });
    const running = await startHub(optionsFromEnv()).catch(fail);
    onShutdown(async () => { await running.close(); await shop.close(); await market.close(); });
    const api = client(running.url!, process.env.CHANNELSYNC_TOKEN);
    const existing = (await api('GET', '/api/connections')).items as { name: string }[];
    const want = [
      { name: 'Demo webshop', kind: 'custom', config: { productsUrl: shop.productsUrl, ordersUrl: shop.ordersUrl, key: key1 } },
      { name: 'Demo marketplace', kind: 'custom', config: { productsUrl: market.productsUrl, ordersUrl: market.ordersUrl, key: key2 }, settings: { absorb: { products: true } } },
    ];
    for (const c of want) {
      if (existing.some((e) => e.name === c.name)) await patchUrls(api, c);
      else await api('POST', '/api/connections', c);
    }
    printStarted(running, ' Demo storefronts are connected.');
    console.log(`  demo webshop: ${shop.url} (${opts.products} products)   demo marketplace: ${market.url}`);
    console.log('  Try: fetch "Demo webshop", then send "Demo marketplace" (panel buttons, or `npx channelsync fetch "Demo webshop"`).');
  });

async function patchUrls(api: Api, c: { name: string; config: unknown }) {
  const items = (await api('GET', '/api/connections')).items as { id: string; name: string }[];
  const found = items.find((i) => i.name === c.name);
  if (found) await api('PATCH', `/api/connections/${found.id}`, { config: c.config });
}

// Commands that talk to a running hub through its HTTP API.
const urlOption = new Option('--url <url>', 'the hub').default(process.env.CHANNELSYNC_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`);
const tokenOption = new Option('--token <token>', 'API token (default: CHANNELSYNC_TOKEN)');

type Api = (method: string, path: string, body?: unknown) => Promise<any>;
function client(url: string, token?: string): Api {
  return async (method, path, body) => {
    let res: Response;
    try {
      res = await fetch(url.replace(/\/$/, '') + path, {
        method,
        // State-changing calls say they are JSON even without a body: an open hub refuses them otherwise.
        headers: { ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new Error(`Cannot reach the hub at ${url}: is it running (npm start)?`);
    }
    const json = await res.json().catch(() => null);
    if (!res.ok) throw new Error(json?.error?.message ?? `${method} ${path} answered ${res.status}`);
    return json;
  };
}

async function resolveConnection(api: Api, ref: string): Promise<{ id: string; name: string }> {
  const items = (await api('GET', '/api/connections')).items as { id: string; name: string }[];
  const found = items.find((c) => c.id === ref) ?? items.find((c) => c.name.toLowerCase() === ref.toLowerCase());
  if (!found) throw new Error(`No connection "${ref}". Known: ${items.map((c) => `"${c.name}"`).join(', ') || 'none yet'}`);
  return found;
}

const connections = program.command('connections').description('List and add connections');
connections.command('list').addOption(urlOption).addOption(tokenOption).action(async (o) => {
  const api = client(o.url, o.token ?? process.env.CHANNELSYNC_TOKEN);
  const { items } = await api('GET', '/api/connections');
  if (items.length === 0) return console.log('No connections yet: add one with `channelsync connections add`.');
  for (const c of items) {
    console.log(`${c.id}  ${c.name.padEnd(24)} ${c.kind.padEnd(8)} ${c.state.padEnd(8)} pending: ${c.pending.inserts} creates, ${c.pending.updates} updates  issues: ${c.openIssues}`);
  }
});
connections.command('add')
  .requiredOption('--name <name>')
  .option('--kind <kind>', 'connector kind', 'custom')
  .option('--products-url <url>').option('--orders-url <url>')
  .option('--products-write-url <url>').option('--orders-write-url <url>')
  .option('--key <key>', 'the custom storefront key (generated when omitted)')
  .option('--absorb-products', 'clone products seen on other connections into this one')
  .option('--config <json>', 'the whole config as JSON (other kinds)')
  .addOption(urlOption).addOption(tokenOption)
  .action(async (o) => {
    const api = client(o.url, o.token ?? process.env.CHANNELSYNC_TOKEN);
    const config = o.config ? JSON.parse(o.config) : {
      productsUrl: o.productsUrl, ordersUrl: o.ordersUrl, productsWriteUrl: o.productsWriteUrl, ordersWriteUrl: o.ordersWriteUrl, key: o.key,
    };
    const c = await api('POST', '/api/connections', { name: o.name, kind: o.kind, config, settings: { absorb: { products: !!o.absorbProducts } } });
    console.log(`Added ${c.name} (${c.id}).`);
    if (c.kind === 'custom') console.log(`Key for the store (X-Channelsync-Key): ${c.config.key}`);
  });

for (const type of ['fetch', 'send', 'sync'] as const) {
  program.command(`${type} <connection>`)
    .description(`${type[0].toUpperCase()}${type.slice(1)} a connection (by id or name) and show its progress`)
    .addOption(urlOption).addOption(tokenOption)
    .action(async (ref: string, o) => {
      const api = client(o.url, o.token ?? process.env.CHANNELSYNC_TOKEN);
      const conn = await resolveConnection(api, ref);
      const { jobId } = await api('POST', `/api/connections/${conn.id}/${type}`);
      const job = await followJob(api, jobId, `${type} ${conn.name}`);
      console.log(`${job.state}${job.error ? `: ${job.error}` : ''}`);
      if (job.summary) console.log(JSON.stringify(job.summary, null, 2));
      process.exitCode = job.state === 'completed' ? 0 : 1;
    });
}

async function followJob(api: Api, jobId: string, label: string) {
  const tty = process.stdout.isTTY;
  let last = '';
  for (;;) {
    const job = await api('GET', `/api/jobs/${jobId}`);
    const pct = job.total ? Math.min(1, job.done / job.total) : 0;
    const width = 30;
    const bar = job.total ? '█'.repeat(Math.round(pct * width)).padEnd(width, '░') : '·'.repeat(width);
    const line = `${label}  [${bar}] ${job.phase ?? job.state}  ${job.done}${job.total ? `/${job.total}` : ''}`;
    if (tty) process.stdout.write(`\r${line.padEnd(last.length)}`);
    else if (line !== last) console.log(line);
    last = line;
    if (['completed', 'failed', 'cancelled'].includes(job.state)) {
      if (tty) process.stdout.write('\n');
      return job;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const token = program.command('token').description('API tokens');
token.command('create')
  .option('--name <name>', 'what the token is for', 'cli')
  .addOption(urlOption).addOption(tokenOption)
  .description('Create an API token (through the running hub; the first one needs no token)')
  .action(async (o) => {
    const api = client(o.url, o.token ?? process.env.CHANNELSYNC_TOKEN);
    const { token: t } = await api('POST', '/api/tokens', { name: o.name });
    console.log(t);
    console.error('Keep it safe: it is shown once. From now on every API call needs a token.');
  });
token.command('list')
  .addOption(urlOption).addOption(tokenOption)
  .description('List the API tokens (names and dates; the secrets are never shown again)')
  .action(async (o) => {
    const api = client(o.url, o.token ?? process.env.CHANNELSYNC_TOKEN);
    const { items } = await api('GET', '/api/tokens') as { items: { id: string; name: string; createdAt: string; lastUsedAt: string | null }[] };
    if (items.length === 0) return console.log('No API tokens stored (CHANNELSYNC_TOKEN, when set, is not listed).');
    for (const t of items) console.log(`${t.id}  ${t.name.padEnd(24)} created ${t.createdAt}  last used ${t.lastUsedAt ?? 'never'}`);
  });
token.command('revoke <token>')
  .addOption(urlOption).addOption(tokenOption)
  .description('Revoke an API token, by id or name: it stops working at once')
  .action(async (ref: string, o) => {
    const api = client(o.url, o.token ?? process.env.CHANNELSYNC_TOKEN);
    const { items } = await api('GET', '/api/tokens') as { items: { id: string; name: string }[] };
    const byName = items.filter((t) => t.name === ref);
    if (byName.length > 1) throw new Error(`${byName.length} tokens are named "${ref}": revoke one by its id (channelsync token list)`);
    const found = items.find((t) => t.id === ref) ?? byName[0];
    if (!found) throw new Error(`No token "${ref}": see \`channelsync token list\``);
    await api('DELETE', `/api/tokens/${found.id}`);
    console.log(`Revoked ${found.name} (${found.id}).`);
  });

program.command('storefront')
  .description('Run a reference custom storefront (for trying the hub without a shop)')
  .option('--port <port>', 'port', '8181').option('--key <key>', 'its key', 'reference-store-key')
  .option('--products <n>', 'generated products', '100')
  .action(async (o) => {
    const s = await startStorefront({ port: Number(o.port), key: o.key, products: Number(o.products) });
    console.log(`Reference storefront on ${s.url}\n  productsUrl: ${s.productsUrl}\n  ordersUrl:   ${s.ordersUrl}\n  key:         ${s.key}`);
    onShutdown(() => s.close());
  });

function fail(err: unknown): never {
  console.error(`channelsync: ${(err as Error).message}`);
  process.exit(1);
}

program.parseAsync(process.argv).catch(fail);
