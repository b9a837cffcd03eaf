import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts } from './helpers/shops.js';

/** A feed file as a merchant's spreadsheet exports it: its own column names, a product per group of rows, some rows broken. */
const CATALOG = [
  'SKU;Name;Brand;Category;Variant SKU;Size;Price;Currency;Stock',
  'TEE;Organic Tee;Northwind;Apparel > Tops;TEE-S;S;19.90;USD;4',
  'TEE;Organic Tee;Northwind;Apparel > Tops;TEE-M;M;19.90;USD;6',
  'MUG;Enamel Mug;Kestrel;Kitchen;MUG-1;;"12,50";EUR;10',
  'CAP;Trail Cap;Kestrel;Apparel > Hats;CAP-1;;abc;USD;3',
  ';Nameless;;;X-1;;1;USD;1',
  'BAG;Tote Bag;Cobalt;Bags;BAG-1;;29;USD;2;extra cell',
  'SOCK;Wool Socks;Northwind;Apparel;SOCK-1;;9.5;usd;8',
  'TEE;Organic Tee again;Northwind;Apparel;TEE-L;L;19.90;USD;1',
].join('\n');
const COLUMNS = {
  sku: 'SKU', title: 'Name', brand: 'Brand', categories: 'Category', variationSku: 'Variant SKU', size: 'Size',
  price: 'Price', currency: 'Currency', quantity: 'Stock',
};

/** A file server on loopback whose body the test changes; `fail` answers the next N requests with 503. */
async function startFileServer(): Promise<{ url: string; body: string; fail: number; close(): Promise<void> }> {
  const state = { body: '', fail: 0 };
  const server: Server = createServer((req, res) => {
    if (state.fail > 0) {
      state.fail--;
      res.writeHead(503).end('busy');
      return;
    }
    res.writeHead(200, { 'content-type': req.url?.endsWith('.json') ? 'application/json' : 'text/csv' }).end(state.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    get body() { return state.body; }, set body(v: string) { state.body = v; },
    get fail() { return state.fail; }, set fail(v: number) { state.fail = v; },
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

async function connectFeed(hub: TestHub, name: string, config: Record<string, unknown>, settings?: unknown) {
  const res = await hub.api('POST', '/api/connections', { name, kind: 'feed', config: { retryBaseMs: 5, ...config }, ...(settings ? { settings } : {}) });
  if (res.status !== 201) throw new Error(`connect ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

describe.each(DATABASES)('CSV / JSON feeds (%s)', (kind) => {
  let hub: TestHub;
  let dir: string;
  let files: Awaited<ReturnType<typeof startFileServer>>;
  let catalog: any;
  beforeAll(async () => {
    // Feed files are read only from the hub's import folder.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-feed-'));
    hub = await startTestHub(kind, { importDir: dir });
    files = await startFileServer();
  });
  afterAll(async () => {
    await hub?.close();
    await files?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('imports a catalog from a CSV file through a column mapping; each bad row is an issue naming row and column, the rest imports', async () => {
    const file = path.join(dir, 'catalog.csv');
    fs.writeFileSync(file, CATALOG);
    catalog = await connectFeed(hub, 'Catalog file', { source: file, delimiter: ';', columns: COLUMNS });
    expect(catalog.config.key).toEqual(expect.any(String));
    const job = await hub.run('fetch', catalog.id);
    expect(job.state).toBe('completed');
    expect(job.summary.fetch).toMatchObject({ created: 3, invalid: 4, complete: true });

    const products = await allProducts(hub);
    const tee = products.find((p) => p.sku === 'TEE');
    expect(tee).toMatchObject({ title: 'Organic Tee', brand: 'Northwind', categories: ['Apparel > Tops'] });
    expect(tee.variations.map((v: any) => [v.sku, v.size, v.prices[0].amount, v.availabilities[0].quantity]))
      .toEqual([['TEE-S', 'S', 19.9, 4], ['TEE-M', 'M', 19.9, 6]]);
    const mug = products.find((p) => p.sku === 'MUG');
    expect(mug.variations[0].prices).toEqual([{ tag: 'default', currency: 'EUR', amount: 12.5 }]);
    expect(products.find((p) => p.sku === 'SOCK').variations[0].prices[0].currency).toBe('USD');
    expect(products.find((p) => p.sku === 'CAP')).toBeUndefined();

    const messages = (await hub.api('GET', `/api/issues?connectionId=${catalog.id}`)).body.items
      .filter((i: any) => i.severity === 'error').map((i: any) => i.message).sort();
    expect(messages).toEqual([
      expect.stringMatching(/row 5, column "Price": "abc" is not a number/),
      expect.stringMatching(/row 6, column "SKU": empty/),
      expect.stringMatching(/row 7: the line has a different number of cells than the header/),
      expect.stringMatching(/rows? 9: product "TEE" already appeared at row 2/),
    ].sort((a, b) => String(a).localeCompare(String(b))) as any);
  });

  it('a stock feed from a URL maps only SKU and stock: it updates quantities and never touches the other fields', async () => {
    files.body = 'sku,variant,on_hand\nTEE,TEE-S,40\nTEE,TEE-M,0\nMUG,MUG-1,7\n';
    files.fail = 2; // the file server is busy twice: retried
    const stock = await connectFeed(hub, 'ERP stock', {
      source: `${files.url}/stock.csv`, columns: { sku: 'sku', variationSku: 'variant', quantity: 'on_hand' },
    });
    expect(stock.settings.fields.title).toEqual({ detect: false, write: false });
    expect(stock.settings.fields.stock).toBeUndefined();
    const job = await hub.run('fetch', stock.id);
    expect(job.state).toBe('completed');
    expect(job.summary.fetch).toMatchObject({ bound: 2, created: 0, invalid: 0 });
    const products = await allProducts(hub);
    const tee = products.find((p) => p.sku === 'TEE');
    expect(tee).toMatchObject({ title: 'Organic Tee', brand: 'Northwind' });
    expect(tee.variations.map((v: any) => [v.sku, v.availabilities[0].quantity, v.prices[0].amount])).toEqual([['TEE-S', 40, 19.9], ['TEE-M', 0, 19.9]]);
    expect(products.find((p) => p.sku === 'MUG').variations[0].availabilities[0].quantity).toBe(7);

    // A column the mapping needs is gone from the file: the job says which, and nothing changes.
    files.body = 'sku,variant,stock\nTEE,TEE-S,1\n';
    const broken = await hub.run('fetch', stock.id);
    expect(broken.state).toBe('failed');
    expect(broken.error).toMatch(/The feed has no column "on_hand" \(for quantity\)\. Its columns are: sku, variant, stock/);
    expect((await allProducts(hub)).find((p) => p.sku === 'TEE').variations[0].availabilities[0].quantity).toBe(40);
  });

  it('imports a JSON feed from a URL', async () => {
    files.body = JSON.stringify({ products: [
      { sku: 'LAMP', title: 'Desk Lamp', variation_sku: 'LAMP-1', price: 45, quantity: 3, tags: ['home', 'light'] },
      { sku: 'LAMP', title: 'Desk Lamp', variation_sku: 'LAMP-2', price: '47.5', quantity: 'many' },
      { sku: 'RUG', title: 'Wool Rug', variation_sku: 'RUG-1', price: 120, quantity: 1 },
      'not an object',
    ] });
    const json = await connectFeed(hub, 'JSON feed', {
      source: `${files.url}/catalog.json`,
      columns: { sku: 'sku', title: 'title', variationSku: 'variation_sku', price: 'price', quantity: 'quantity', tags: 'tags' },
    });
    const job = await hub.run('fetch', json.id);
    expect(job.summary.fetch).toMatchObject({ created: 1, invalid: 2 });
    expect((await allProducts(hub)).find((p) => p.sku === 'RUG')).toMatchObject({ title: 'Wool Rug', variations: [{ sku: 'RUG-1', prices: [{ amount: 120 }] }] });
    const messages = (await hub.api('GET', `/api/issues?connectionId=${json.id}`)).body.items.map((i: any) => i.message);
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringMatching(/row 3, column "quantity": "many" is not a number/),
      expect.stringMatching(/row 5: item 4 is not an object/),
    ]));
  });

  it('exports a connection\'s view as CSV and JSON at a stable URL, current after each propagation', async () => {
    const out = await connectFeed(hub, 'Marketplace feed', {}, { absorb: { products: true }, price: { marginPercent: 10, add: 0, round: 'none' } });
    const url = `${hub.url}/feeds/${out.id}.csv?key=${encodeURIComponent(out.config.key)}`;
    expect((await fetch(`${hub.url}/feeds/${out.id}.csv?key=wrong-key-123`)).status).toBe(401);
    expect((await fetch(`${hub.url}/feeds/${out.id}.csv`)).status).toBe(401);
    // The hub plans the catalog for the new connection in the background.
    let rows: any[] = [];
    for (let i = 0; i < 200 && rows.length < 5; i++) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/csv/);
      rows = parse(await res.text(), { columns: true });
      if (rows.length < 5) await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows.map((r) => r.variation_sku).sort()).toEqual(['MUG-1', 'RUG-1', 'SOCK-1', 'TEE-M', 'TEE-S']);
    const teeS = rows.find((r) => r.variation_sku === 'TEE-S');
    expect(teeS).toMatchObject({ sku: 'TEE', title: 'Organic Tee', price: '21.89', currency: 'USD', quantity: '40', categories: 'Apparel > Tops' });

    // A stock change from the ERP feed shows in the export as soon as it is fetched, without a send.
    files.body = 'sku,variant,on_hand\nTEE,TEE-S,12\n';
    const stock = (await hub.api('GET', '/api/connections')).body.items.find((c: any) => c.name === 'ERP stock');
    expect((await hub.run('fetch', stock.id)).summary.fetch.changed).toBe(1);
    const again = parse(await (await fetch(url)).text(), { columns: true }) as any[];
    expect(again.find((r) => r.variation_sku === 'TEE-S').quantity).toBe('12');

    const json = await fetch(`${hub.url}/feeds/${out.id}.json?key=${encodeURIComponent(out.config.key)}`);
    expect(json.headers.get('content-type')).toMatch(/application\/json/);
    const list = await json.json() as any[];
    expect(list.find((r) => r.variation_sku === 'TEE-M')).toMatchObject({ sku: 'TEE', price: 21.89, quantity: 0 });

    // The export is the default import format: another feed connection reads it back unchanged.
    const file = path.join(dir, 'exported.csv');
    fs.writeFileSync(file, await (await fetch(url)).text());
    const reread = await connectFeed(hub, 'Re-import', { source: file });
    const job = await hub.run('fetch', reread.id);
    expect(job.summary.fetch).toMatchObject({ invalid: 0, created: 0 });
  });
});
