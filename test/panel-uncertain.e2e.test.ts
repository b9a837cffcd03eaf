import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openPanelPage, SCREENSHOTS as OUT } from './helpers/browser.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoProduct } from '../src/storefront/catalog.js';

// A create whose answer was lost, for a product with no SKU or barcode: the merchant says in the panel whether it landed.
describe('a held create is answered in the panel (pglite, headless Chromium)', () => {
  let hub: TestHub;
  let web: Storefront;
  let market: Storefront;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const p = demoProduct(3);
    web = await startStorefront({ key: 'panel-held-12345', products: [{ ...p, sku: '', variations: p.variations!.map(({ sku: _s, barcode: _b, ...v }) => v) }] });
    market = await startStorefront({ key: 'panel-held-market', products: [] });
    hub = await startTestHub('pglite');
    ({ browser, page } = await openPanelPage(hub.url));
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
