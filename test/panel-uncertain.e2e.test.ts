import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoProduct } from '../src/storefront/catalog.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'test-output');

// A create whose answer was lost, for a product with no SKU or barcode: the merchant says in the panel whether it landed.
describe('a held create is answered in the panel (pglite, headless Chromium)', () => {
  let hub: TestHub;
  let web: Storefront;
  let market: Storefront;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/ensure-panel.mjs')], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`building the panel failed:\n${build.stdout}\n${build.stderr}`);
    fs.mkdirSync(OUT, { recursive: true });
    const p = demoProduct(3);
    web = await startStorefront({ key: 'panel-held-12345', products: [{ ...p, sku: '', variations: p.variations!.map(({ sku: _s, barcode: _b, ...v }) => v) }] });
    market = await startStorefront({ key: 'panel-held-market', products: [] });
    hub = await startTestHub('pglite');
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
    await page.route((url) => !url.href.startsWith(hub.url), (route) => route.abort());
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await web?.close();
    await market?.close();
  });

  it('binds the held create to the listing the merchant names, and the issue goes', async () => {
    const W = await connectShop(hub, 'Webshop', web);
    const M = await connectShop(hub, 'Market', market, { settings: { absorb: { products: true } } });
    expect((await hub.run('fetch', W.id)).state).toBe('completed');
    market.setFaults({ failCreateAfterStore: 1 });
    expect((await hub.run('send', M.id)).summary.send.failed).toBe(1);
    expect((await hub.run('send', M.id)).summary.send.created).toBe(0);
    const [listing] = [...market.products.values()];
    const [product] = await allProducts(hub);

    await page.goto(`${hub.url}/products/${product.id}`);
    await page.getByRole('tab', { name: /Issues/ }).click();
    const group = page.getByRole('group', { name: 'Answer for the held create' });
    await group.waitFor();
    await group.getByRole('textbox').fill(listing._id);
    await page.screenshot({ path: path.join(OUT, 'panel-held-create.png'), fullPage: true });
    await group.getByRole('button', { name: 'It is there: bind it' }).click();
    await page.getByText('No open issues on this record.').waitFor();

    const detail = (await hub.api('GET', `/api/products/${product.id}`)).body;
    const eq = detail.equivalences.find((e: any) => e.connectionId === M.id);
    expect(eq).toMatchObject({ externalId: listing._id, status: 'live' });
    expect((await hub.run('send', M.id)).summary.send.created).toBe(0);
    expect(market.products.size).toBe(1);
  });
});
