import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openPanelPage, SCREENSHOTS as OUT } from './helpers/browser.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { allProducts, connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoProduct } from '../src/storefront/catalog.js';

// A merchant sees why a marketplace shows less than the hub: the product detail lists the orders holding its stock.
describe('the product detail shows the stock held by orders (pglite, headless Chromium)', () => {
  let hub: TestHub;
  let web: Storefront;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    web = await startStorefront({ key: 'panel-holds-12345', products: [demoProduct(0), demoProduct(1)], decrementStockOnOrder: true });
    hub = await startTestHub('pglite');
    ({ browser, page } = await openPanelPage(hub.url));
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await web?.close();
  });

  it('lists the open hold with its order, units and source, and says what ends it', async () => {
    const W = await connectShop(hub, 'Webshop', web);
    expect((await hub.run('fetch', W.id)).state).toBe('completed');
    const p = [...web.products.values()][0];
    const v = p.variations![0];
    web.placeOrder({
      orderid: 'HOLD-4242', status: 'paid', dateCreated: new Date().toISOString(), dateClosed: '',
      total: { amount: '30.00', currency: 'USD' },
      orderItems: [{ id: p._id, variation_id: v._id, quantity: '3', unitPrice: '10', currencyId: 'USD' }],
      buyer: { id: '9', email: 'h@example.com', phone: '', firstName: 'H', lastName: 'K' },
    });
    const job = await hub.running.queue.enqueue('fetch', W.id, { scope: { entities: ['orders'] } });
    expect((await hub.waitJob(job.id)).summary.fetchOrders.reserved).toBe(3);
    const product = (await allProducts(hub)).find((x) => x.sku === p.sku);

    await page.goto(`${hub.url}/products/${product.id}`);
    const held = page.getByRole('region', { name: 'Stock held by orders' });
    await held.getByRole('link', { name: 'HOLD-4242' }).waitFor();
    const row = held.locator('tbody tr', { hasText: 'HOLD-4242' });
    expect(await row.locator('td').nth(1).innerText()).toBe(v.sku);
    expect(await row.locator('td').nth(2).innerText()).toBe('3');
    expect(await row.locator('td').nth(3).innerText()).toBe('Webshop');
    expect(await row.innerText()).toContain('held until Webshop reads its stock');
    expect(await held.getByRole('heading').innerText()).toContain('Held by orders');
    expect(await held.innerText()).toContain('3 units are kept off');
    await page.screenshot({ path: path.join(OUT, 'panel-product-holds.png'), fullPage: true });
  });
});
