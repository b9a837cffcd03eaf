import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';
import { demoOrder, demoProduct } from '../src/storefront/catalog.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'test-output');
const TOKEN = 'panel-e2e-admin-token-7f3a9c';
const HOSTILE = '<img src=x onerror="window.__pwned=1"><b>Bold</b> Tee';
const PRODUCTS = 36;

// The panel runs in a real headless Chromium (Debian's package) against a real hub and two
// reference storefronts on loopback; only the public HTTP API sits between the panel and the hub.
describe('web panel (pglite, headless Chromium)', () => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront | undefined;
  let browser: Browser;
  let page: Page;

  const shot = async (name: string) => {
    await page.waitForTimeout(150); // let transitions settle so the picture is what a merchant sees
    await page.screenshot({ path: path.join(OUT, `panel-${name}.png`), fullPage: true });
  };
  const card = (name: string) => page.locator(`article[data-connection="${name}"]`);
  const goto = async (label: 'Connections' | 'Products' | 'Orders' | 'Troubleshoot') => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
  };
  const dotCount = (status: string, connection: string) =>
    page.locator(`tbody .dot[data-status="${status}"][aria-label^="${connection}:"]`).count();

  beforeAll(async () => {
    // The panel is built from its sources when missing or stale (same script as `npm start`).
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/ensure-panel.mjs')], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`building the panel failed:\n${build.stdout}\n${build.stderr}`);
    fs.mkdirSync(OUT, { recursive: true });
    const products = Array.from({ length: PRODUCTS }, (_, i) => demoProduct(i));
    products[5] = { ...products[5], title: HOSTILE };
    a = await startStorefront({ key: 'shop-a-key-0123456789', products });
    hub = await startTestHub('pglite', { adminToken: TOKEN });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
    page.setDefaultTimeout(20_000);
    // Product images point at hosts that do not exist here: answer them at once instead of waiting on DNS.
    await page.route((url) => !url.href.startsWith(hub.url), (route) => route.abort());
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await a?.close();
    await b?.close();
  });

  it('asks for a token, says clearly when it is wrong, and signs in with the right one', async () => {
    await page.goto(hub.url);
    await page.getByRole('heading', { name: 'Sign in to your hub' }).waitFor();
    await shot('01-sign-in');
    await page.getByLabel('API token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('That token was not accepted by this hub');
    await shot('02-sign-in-wrong-token');
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Connect your first storefront' }).waitFor();
    await shot('03-connections-empty');
  });

  it('adds two connections (typed key, generated key), scans the first, and shows queued changes on the second', async () => {
    await page.getByRole('button', { name: 'Add connection' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add a connection' });
    await dialog.getByText('Custom storefront').waitFor();
    await shot('04-add-connection-kind');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    // A wrong address is named before anything is created.
    await dialog.getByLabel('Name').fill('Shop A');
    await dialog.getByLabel('Connection key').fill(a.key);
    await dialog.getByLabel('Products URL').fill('not a url');
    await dialog.getByLabel('Orders URL').fill(a.ordersUrl);
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await dialog.getByText('productsUrl must be a full http:// or https:// address').waitFor();
    await dialog.getByLabel('Products URL').fill(a.productsUrl);
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await dialog.getByRole('heading', { name: 'Shop A is connected' }).waitFor();
    await dialog.getByRole('button', { name: 'Scan now' }).click();
    const shopA = card('Shop A');
    await shopA.locator('[data-testid="job-summary"]').getByText('Fetch finished').waitFor();
    expect(await shopA.locator('[data-testid="job-summary"]').textContent()).toContain(`${PRODUCTS} products scanned · ${PRODUCTS} new`);

    await page.getByRole('button', { name: 'Add connection' }).click();
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.getByLabel('Name').waitFor();
    expect(await dialog.getByRole('alert').count()).toBe(0);
    await dialog.getByLabel('Name').fill('Shop B');
    await dialog.getByRole('button', { name: 'Generate' }).click();
    const key = await dialog.getByLabel('Connection key').inputValue();
    expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // The merchant pastes the generated key into their storefront: here, the storefront starts with it.
    b = await startStorefront({ key, products: [] });
    await dialog.getByLabel('Products URL').fill(b.productsUrl);
    await dialog.getByLabel('Orders URL').fill(b.ordersUrl);
    await dialog.getByRole('switch', { name: 'Copy new products from my other connections into this one' }).check();
    await shot('05-add-connection-details');
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await dialog.getByRole('heading', { name: 'Shop B is connected' }).waitFor();
    expect(await dialog.getByTestId('connection-key').textContent()).toBe(key);
    await dialog.getByRole('button', { name: 'Scan now' }).click();
    await card('Shop B').locator('[data-testid="job-summary"]').getByText('Fetch finished').waitFor();

    // Absorb plans every product of A as a creation on B: the red badge on Send counts them.
    const badge = card('Shop B').getByTestId('send-badge');
    await page.waitForFunction(() => document.querySelector('article[data-connection="Shop B"] [data-testid="send-badge"]')?.textContent === '36');
    expect(await badge.textContent()).toBe(String(PRODUCTS));
    await shot('06-connections-queued');
  });

  it('shows green dots for pending creations, and they turn gray after a sync', async () => {
    await goto('Products');
    await page.getByRole('heading', { name: 'Products', level: 1 }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 36);
    expect(await dotCount('insert', 'Shop B')).toBe(PRODUCTS);
    expect(await dotCount('live', 'Shop A')).toBe(PRODUCTS);
    await shot('07-products-green');

    await goto('Connections');
    const shopB = card('Shop B');
    await shopB.getByRole('button', { name: 'Sync', exact: true }).click();
    await shopB.locator('[data-testid="job-summary"]').getByText('Sync finished').waitFor({ timeout: 30_000 });
    expect(await shopB.locator('[data-testid="job-summary"]').textContent()).toContain(`${PRODUCTS} products created`);
    await shopB.getByTestId('send-badge').waitFor({ state: 'detached' });
    expect(b!.products.size).toBe(PRODUCTS);
    await shot('08-connections-synced');

    await goto('Products');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 36 && document.querySelectorAll('tbody .dot[data-status="insert"]').length === 0);
    expect(await dotCount('live', 'Shop B')).toBe(PRODUCTS);
    await shot('09-products-gray');
  });

  it('searches with intersected sets and gets exactly the right rows', async () => {
    // Two products change price on Shop A: after a fetch, Shop B has exactly those two to update.
    const changed = [...a.products.values()].slice(10, 12);
    for (const p of changed) p.variations![0].prices![0].number = '9.99';
    await goto('Connections');
    // A slow store keeps the scan going long enough to watch it: phase and counts arrive by server-sent events.
    a.setFaults({ delayMs: 1500 });
    await card('Shop A').getByRole('button', { name: 'Fetch', exact: true }).click();
    const progress = card('Shop A').getByTestId('job-progress');
    await progress.getByText('Scanning').waitFor();
    expect(await progress.getByRole('progressbar').count()).toBe(1);
    await shot('09b-connections-progress');
    a.setFaults({});
    await page.waitForFunction(() => document.querySelector('article[data-connection="Shop B"] [data-testid="send-badge"]')?.textContent === '2');
    expect(await card('Shop A').getByTestId('job-summary').textContent()).toContain('2 changed');

    await goto('Products');
    const search = page.getByRole('combobox', { name: 'Search products by sets' });
    await search.click();
    await page.getByRole('listbox', { name: 'Sets' }).waitFor();
    await search.fill('pending updates');
    await page.getByRole('option', { name: /with pending updates to "Shop B"/ }).waitFor();
    await shot('10-search-autocomplete');
    await page.getByRole('option', { name: /with pending updates to "Shop B"/ }).click();
    await search.fill('on "Shop A"');
    await search.press('Enter');
    await page.getByRole('list', { name: 'Chosen sets' }).getByText('on "Shop A"').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 2);
    const skus = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-sku')).sort());
    expect(skus).toEqual(changed.map((p) => p.sku).sort());
    expect(await dotCount('update', 'Shop B')).toBe(2);
    expect(page.url()).toContain('q=');
    await shot('11-search-result');

    // Removing a chip widens the set again; a set the hub does not understand is explained.
    await page.getByRole('button', { name: 'Remove set with pending updates to "Shop B"' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 36);
    await search.fill('with unicorns');
    await search.press('Enter');
    const err = page.locator('.setsearch-error');
    await err.waitFor();
    expect(await err.textContent()).toContain('with unicorns');
    await page.getByRole('button', { name: 'Remove set with unicorns' }).click();
    await page.getByRole('button', { name: 'Remove set on "Shop A"' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 36);
  });

  it('opens a record: the hub record beside each connection, the pending change in colour with old and new', async () => {
    const target = [...a.products.values()][10];
    expect(target.title).toBe('Orbit Audio Performance Yoga Mat');
    await page.locator(`tbody tr[data-sku="${target.sku}"]`).getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: target.title as string }).waitFor();
    const compare = page.getByRole('region', { name: 'The hub record beside each connection' });
    await compare.waitFor();
    const changedCell = compare.locator('td[data-change="update"]').first();
    await changedCell.waitFor();
    const text = (await changedCell.textContent()) ?? '';
    expect(text).toContain('$9.99');
    expect(await compare.locator('td[data-change="update"]').count()).toBe(1);
    await shot('12-record-detail');
    // History answers "why did my price change?": the fetch of Shop A changed it.
    await page.getByRole('tab', { name: /History/ }).click();
    const history = page.getByRole('list', { name: 'History' });
    await history.waitFor();
    expect(await history.textContent()).toMatch(/changed by Shop A/);
    await shot('12b-record-history');

    // Editing the hub record plans the change on every connection that writes the field.
    await page.getByRole('tab', { name: /Across connections/ }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Hub title').fill('Orbit Yoga Mat, new edition');
    await shot('12c-record-edit');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Orbit Yoga Mat, new edition' }).waitFor();
    const titleRow = compare.locator('tr', { has: page.getByRole('rowheader', { name: 'Title', exact: true }) });
    await titleRow.locator('td[data-change="update"]').nth(1).waitFor();
    expect(await titleRow.locator('td[data-change="update"]').count()).toBe(2);
    const id = page.url().split('/').pop();
    expect((await hub.api('GET', `/api/products/${id}`, undefined, TOKEN)).body.title).toBe('Orbit Yoga Mat, new edition');
  });

  it('opens the settings (with the clock reset confirmation), the stats chart, the issues popover and troubleshoot', async () => {
    await goto('Connections');
    await card('Shop B').getByRole('button', { name: 'Settings of Shop B' }).click();
    const settings = page.getByRole('dialog', { name: 'Settings of Shop B' });
    await settings.waitFor();
    await settings.getByRole('tab', { name: 'Fields' }).click();
    await settings.getByRole('switch', { name: 'Write Description' }).waitFor();
    await shot('13-settings-fields');
    await settings.getByRole('tab', { name: 'Price & stock' }).click();
    await settings.getByLabel('Margin').fill('abc');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText('A number is needed here.').waitFor();
    await settings.getByLabel('Margin').fill('20');
    await settings.getByLabel('Rounding').selectOption('cents99');
    expect(await settings.locator('.preview').first().textContent()).toContain('$120.99');
    await shot('14-settings-rules');
    await settings.getByRole('tab', { name: 'Clocks' }).click();
    await settings.getByRole('button', { name: 'Reset clocks…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Reset the clocks of Shop B?' });
    expect(await confirm.textContent()).toContain('forces a full rescan');
    await shot('15-settings-clock-reset');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    // The schedule: a bad interval comes back from the hub named, on its own tab.
    await settings.getByRole('tab', { name: 'Schedule' }).click();
    await settings.getByLabel('Orders every').fill('fast');
    await settings.getByRole('tab', { name: 'Clocks' }).click();
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText('"fast" is not an interval').waitFor();
    expect(await settings.getByRole('tab', { name: 'Schedule' }).getAttribute('aria-selected')).toBe('true');
    await settings.getByLabel('Orders every').fill('2m');
    await settings.getByRole('switch', { name: /^Quiet hours/ }).check();
    await settings.getByLabel('Quiet from').fill('01:00');
    await settings.getByLabel('Quiet until').fill('05:00');
    await settings.getByRole('switch', { name: /^Stock and prices: only in quiet hours/ }).check();
    await shot('15b-settings-schedule');
    // Listing rules: a wrong number is named on its field before anything is sent.
    await settings.getByRole('tab', { name: 'Listing' }).click();
    await settings.getByLabel('Default category').fill('Home');
    await settings.getByLabel('Delivery days').fill('two');
    await settings.getByLabel('Currency of this connection').fill('usd');
    await settings.getByLabel('New listings start').selectOption('unpublished');
    await settings.getByRole('switch', { name: /^Unpublish at zero stock/ }).check();
    await settings.getByRole('tab', { name: 'Clocks' }).click();
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText('A whole number is needed here.').waitFor();
    expect(await settings.getByRole('tab', { name: 'Listing' }).getAttribute('aria-selected')).toBe('true');
    await settings.getByLabel('Delivery days').fill('3');
    // The category table as JSON: text that is not JSON is named before anything is sent.
    const rulesJson = settings.getByLabel(/^Category table, platform categories/);
    expect(await rulesJson.inputValue()).toBe('{}');
    await rulesJson.fill('{ "categoryMap": [ ');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText(/^Not JSON/).waitFor();
    // What the JSON holds is checked by the hub, and its 400 shows under the JSON too.
    await rulesJson.fill('{ "categoryMap": [{ "category": "Nowhere", "to": "" }] }');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText(/settings\.categoryMap\.0\.to/).waitFor();
    await rulesJson.fill('{ "categoryMap": [{ "category": "Nowhere", "to": "Elsewhere" }] }');
    await shot('15c-settings-listing');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.waitFor({ state: 'detached' });
    const saved = (await hub.api('GET', '/api/connections', undefined, TOKEN)).body.items.find((c: { name: string }) => c.name === 'Shop B');
    expect(saved.settings.price).toEqual({ marginPercent: 20, add: 0, round: 'cents99' });
    expect(saved.settings.schedule).toMatchObject({
      enabled: true, quietHours: { from: '01:00', to: '05:00' },
      orders: { enabled: true, every: '2m', cron: null, quietHoursOnly: false },
      stock: { enabled: true, every: '5m', quietHoursOnly: true },
      catalog: { enabled: true, every: '8h', quietHoursOnly: true },
    });
    expect(saved.settings).toMatchObject({
      defaultCategory: 'Home', deliveryDays: 3, currency: { code: 'USD' }, publish: { newRecords: 'unpublished', unpublishAtZeroStock: true },
      categoryMap: [{ category: 'Nowhere', to: 'Elsewhere' }],
    });
    // An emptied rule is removed, not kept as an empty value.
    await card('Shop B').getByRole('button', { name: 'Settings of Shop B' }).click();
    await settings.waitFor();
    await settings.getByRole('tab', { name: 'Listing' }).click();
    expect(await settings.getByLabel('Default category').inputValue()).toBe('Home');
    await settings.getByLabel('Default category').fill('');
    await settings.getByLabel('New listings start').selectOption('hub');
    await settings.getByLabel(/^Category table, platform categories/).fill('{}');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.waitFor({ state: 'detached' });
    const cleared = (await hub.api('GET', '/api/connections', undefined, TOKEN)).body.items.find((c: { name: string }) => c.name === 'Shop B');
    expect(cleared.settings).not.toHaveProperty('defaultCategory');
    expect(cleared.settings).not.toHaveProperty('categoryMap');
    expect(cleared.settings.publish).toEqual({ unpublishAtZeroStock: true });
    expect(cleared.settings.deliveryDays).toBe(3);

    await card('Shop B').getByRole('button', { name: 'Stats of Shop B' }).click();
    const stats = page.getByRole('dialog', { name: 'Stats of Shop B' });
    await stats.getByRole('tab', { name: 'Throughput' }).click();
    await stats.locator('svg.chart-svg rect').first().waitFor();
    expect(await stats.locator('svg.chart-svg rect').count()).toBeGreaterThanOrEqual(2);
    await shot('16-stats-throughput');
    await stats.getByRole('button', { name: 'Close' }).last().click();

    await page.getByRole('button', { name: /^Issues:/ }).click();
    await page.getByRole('dialog', { name: 'Issues' }).waitFor();
    await shot('17-issues-popover');
    await page.getByRole('dialog', { name: 'Issues' }).getByRole('button', { name: 'Troubleshoot' }).click();
    await page.getByRole('heading', { name: 'Troubleshoot', level: 1 }).waitFor();
    await shot('18-troubleshoot');
  });

  it('clears a field error as soon as that field is edited, on every tab', async () => {
    await goto('Connections');
    await card('Shop B').getByRole('button', { name: 'Settings of Shop B' }).click();
    const settings = page.getByRole('dialog', { name: 'Settings of Shop B' });
    await settings.waitFor();
    // An error the panel finds itself...
    await settings.getByRole('tab', { name: 'Price & stock' }).click();
    const margin = settings.getByLabel('Margin');
    await margin.fill('abc');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText('A number is needed here.').waitFor();
    expect(await margin.getAttribute('aria-invalid')).toBe('true');
    await margin.fill('20');
    await settings.getByText('A number is needed here.').waitFor({ state: 'detached' });
    expect(await margin.getAttribute('aria-invalid')).toBeNull();
    // ...and one the hub answers, on another tab: it stays while the value is unchanged, and goes with the first edit.
    await settings.getByRole('tab', { name: 'Schedule' }).click();
    const every = settings.getByLabel('Orders every');
    await every.fill('fast');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    const hubError = settings.getByText('"fast" is not an interval');
    await hubError.waitFor();
    await settings.getByRole('tab', { name: 'Clocks' }).click();
    await settings.getByRole('tab', { name: 'Schedule' }).click();
    expect(await hubError.count()).toBe(1);
    await every.fill('fas');
    await hubError.waitFor({ state: 'detached' });
    expect(await settings.locator('.field-error').count()).toBe(0);
    expect(await every.inputValue()).toBe('fas');
    await settings.getByRole('button', { name: 'Cancel' }).click();
    await settings.waitFor({ state: 'detached' });
    const conn = (await hub.api('GET', '/api/connections', undefined, TOKEN)).body.items.find((c: { name: string }) => c.name === 'Shop B');
    expect(conn.settings.schedule.orders.every).toBe('2m');
  });

  it('edits mapping groups on the Groups tab: create, edit, a bad set named under its field, preview, delete and a refused delete', async () => {
    const shopB = (await hub.api('GET', '/api/connections', undefined, TOKEN)).body.items.find((c: { name: string }) => c.name === 'Shop B');
    const groupsOf = async () => (await hub.api('GET', `/api/connections/${shopB.id}/mapping-groups`, undefined, TOKEN)).body.items as Array<Record<string, unknown>>;
    expect(await groupsOf()).toEqual([]);
    await goto('Connections');
    await card('Shop B').getByRole('button', { name: 'Settings of Shop B' }).click();
    const settings = page.getByRole('dialog', { name: 'Settings of Shop B' });
    await settings.waitFor();
    await settings.getByRole('tab', { name: 'Groups' }).click();
    await settings.getByText('No mapping groups yet').waitFor();
    const row = (name: string) => settings.locator(`tr[data-group="${name}"]`);
    const fieldError = (label: string) => settings.locator('.field', { has: page.getByLabel(label, { exact: true }) }).locator('.field-error');

    // Create: the placeholders the hub knows are offered as hints.
    await settings.getByRole('button', { name: 'New group' }).click();
    const hints = await settings.locator('.field', { has: page.getByLabel('Title template') }).textContent();
    for (const p of ['{brand}', '{title}', '{size}']) expect(hints).toContain(p);
    await settings.getByLabel('Group name').fill('Audio');
    await settings.getByLabel('Selects', { exact: true }).fill('of brand "Orbit Audio"');
    await settings.getByLabel('Priority').fill('2');
    await settings.getByLabel('Title template').fill('{brand} {title}');
    await settings.getByLabel(/^Attributes and field overrides/).fill('{ "fields": { "deliveryDays": 4 } }');
    await settings.getByRole('button', { name: 'Create group' }).click();
    await row('Audio').waitFor();
    expect(await groupsOf()).toEqual([{ name: 'Audio', select: 'of brand "Orbit Audio"', priority: 2, overrides: [], title: '{brand} {title}', fields: { deliveryDays: 4 }, rank: 1 }]);

    // Edit: rename it and raise its priority.
    await row('Audio').getByRole('button', { name: 'Edit group Audio' }).click();
    expect(await settings.getByLabel('Group name').inputValue()).toBe('Audio');
    expect(JSON.parse(await settings.getByLabel(/^Attributes and field overrides/).inputValue())).toEqual({ fields: { deliveryDays: 4 } });
    await settings.getByLabel('Group name').fill('Orbit');
    await settings.getByLabel('Priority').fill('5');
    await settings.getByRole('button', { name: 'Save group' }).click();
    await row('Orbit').waitFor();
    expect(await row('Audio').count()).toBe(0);
    expect(await groupsOf()).toEqual([expect.objectContaining({ name: 'Orbit', priority: 5, select: 'of brand "Orbit Audio"', fields: { deliveryDays: 4 } })]);

    // A set the hub does not understand: its 400 shows under Selects, the rest stays as typed, and an edit clears it.
    await settings.getByRole('button', { name: 'New group' }).click();
    await settings.getByLabel('Group name').fill('Shoes');
    await settings.getByLabel('Selects', { exact: true }).fill('of nonsense x');
    await settings.getByLabel('Title template').fill('{title} shoes');
    await settings.getByRole('button', { name: 'Create group' }).click();
    await fieldError('Selects').waitFor();
    expect(await fieldError('Selects').textContent()).toContain('"of nonsense x" is not understood');
    // Under its input the error does not repeat the field's name.
    expect(await fieldError('Selects').textContent()).toMatch(/^mapping group "Shoes": /);
    expect(await settings.locator('.field-error').count()).toBe(1);
    expect(await settings.getByLabel('Group name').inputValue()).toBe('Shoes');
    expect(await settings.getByLabel('Title template').inputValue()).toBe('{title} shoes');
    expect((await groupsOf()).map((g) => g.name)).toEqual(['Orbit']);
    await fieldError('Selects').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await shot('15d-settings-groups');
    await settings.getByLabel('Selects', { exact: true }).fill('tagged shoes');
    await fieldError('Selects').waitFor({ state: 'detached' });
    // It wins over the other group, so it is consulted first whatever the priorities.
    await settings.getByRole('switch', { name: 'Orbit', exact: true }).check();
    await settings.getByRole('button', { name: 'Create group' }).click();
    await row('Shoes').waitFor();
    expect(await settings.locator('tr[data-group]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-group')))).toEqual(['Shoes', 'Orbit']);
    expect(await groupsOf()).toEqual([
      expect.objectContaining({ name: 'Shoes', select: 'tagged shoes', overrides: ['Orbit'], priority: 0, title: '{title} shoes', rank: 1 }),
      expect.objectContaining({ name: 'Orbit', rank: 2 }),
    ]);

    // The preview names the group behind the title.
    const target = [...a.products.values()][10];
    await settings.getByLabel('Product SKU or id').fill(target.sku as string);
    await settings.getByRole('button', { name: 'Preview' }).click();
    const title = settings.getByRole('region', { name: 'Listing preview' }).locator('tr[data-path="title"]');
    await title.waitFor();
    expect(await title.textContent()).toContain('Orbit Audio Orbit Yoga Mat, new edition');
    expect(await title.textContent()).toContain('mapping group "Orbit"');
    // Shop B has the product already: a send would change its title, and the row says so.
    expect(await title.locator('.tag').textContent()).toBe('changes');
    await shot('15e-settings-groups-preview');

    // Deleting a group another overrides is refused, with the hub's reason.
    await row('Orbit').getByRole('button', { name: 'Delete group Orbit' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete the group Orbit?' });
    await confirm.getByRole('button', { name: 'Delete group' }).click();
    await confirm.waitFor({ state: 'detached' });
    await settings.getByText('mapping group "Shoes" overrides "Orbit": change it first').waitFor();
    expect((await groupsOf()).map((g) => g.name)).toEqual(['Shoes', 'Orbit']);

    // Cancelling the confirmation deletes nothing; confirming deletes.
    await row('Shoes').getByRole('button', { name: 'Delete group Shoes' }).click();
    await page.getByRole('dialog', { name: 'Delete the group Shoes?' }).getByRole('button', { name: 'Cancel' }).click();
    expect(await row('Shoes').count()).toBe(1);
    await row('Shoes').getByRole('button', { name: 'Delete group Shoes' }).click();
    await page.getByRole('dialog', { name: 'Delete the group Shoes?' }).getByRole('button', { name: 'Delete group' }).click();
    await row('Shoes').waitFor({ state: 'detached' });
    expect((await groupsOf()).map((g) => g.name)).toEqual(['Orbit']);
    await row('Orbit').getByRole('button', { name: 'Delete group Orbit' }).click();
    await page.getByRole('dialog', { name: 'Delete the group Orbit?' }).getByRole('button', { name: 'Delete group' }).click();
    await settings.getByText('No mapping groups yet').waitFor();
    expect(await groupsOf()).toEqual([]);

    // Closing over a group typed but not saved asks first; keeping it goes back to the Groups tab with the form as typed.
    await settings.getByRole('button', { name: 'New group' }).click();
    await settings.getByLabel('Group name').fill('Draft');
    await settings.getByRole('tab', { name: 'General' }).click();
    await settings.locator('.modal-foot').getByRole('button', { name: 'Cancel' }).click();
    const drop = page.getByRole('dialog', { name: 'Drop the unsaved mapping group?' });
    await drop.getByRole('button', { name: 'Cancel' }).click();
    await drop.waitFor({ state: 'detached' });
    expect(await settings.getByRole('tab', { name: 'Groups' }).getAttribute('aria-selected')).toBe('true');
    expect(await settings.getByLabel('Group name').inputValue()).toBe('Draft');
    await settings.locator('.modal-foot').getByRole('button', { name: 'Cancel' }).click();
    await drop.getByRole('button', { name: 'Drop it and close' }).click();
    await settings.waitFor({ state: 'detached' });
    expect(await groupsOf()).toEqual([]);
  });

  it('never interprets product data as HTML', async () => {
    await goto('Products');
    const row = page.locator('tbody tr', { hasText: 'Bold' });
    await row.waitFor();
    expect(await row.locator('.row-title').textContent()).toBe(HOSTILE);
    expect(await row.locator('img[src="x"], b').count()).toBe(0);
    await row.getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: HOSTILE }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it('pausing a connection locks it: fetch, send and sync are disabled until it resumes', async () => {
    await goto('Connections');
    const shopB = card('Shop B');
    await shopB.getByRole('button', { name: 'Pause Shop B' }).click();
    await shopB.getByRole('button', { name: 'Resume Shop B' }).waitFor();
    for (const name of ['Fetch', 'Sync']) expect(await shopB.getByRole('button', { name, exact: true }).isDisabled()).toBe(true);
    expect(await shopB.getByRole('button', { name: /^Send/ }).isDisabled()).toBe(true);
    expect(await shopB.getByTestId('state').textContent()).toBe('Paused');
    expect(await card('Shop A').getByRole('button', { name: 'Fetch', exact: true }).isDisabled()).toBe(false);
    const { body } = await hub.api('POST', `/api/connections/${(await hub.api('GET', '/api/connections', undefined, TOKEN)).body.items[1].id}/send`, undefined, TOKEN);
    expect(body.error.code).toBe('CS_PAUSED');
    await shot('19-connection-paused');
  });

  it('works at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
      await shot('20-phone-connections');
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(await overflow()).toBeLessThanOrEqual(0);
      await goto('Products');
      await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 36);
      expect(await overflow()).toBeLessThanOrEqual(0);
      await shot('21-phone-products');
      await page.locator('tbody tr').first().getByRole('link').click();
      await page.getByRole('region', { name: 'The hub record beside each connection' }).waitFor();
      await shot('22-phone-record');
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  });

  it('is keyboard reachable: tab to a connection button and press it', async () => {
    await goto('Connections');
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    const shopB = card('Shop B');
    await shopB.getByRole('button', { name: 'Settings of Shop B' }).focus();
    await page.keyboard.press('Enter');
    const settings = page.getByRole('dialog', { name: 'Settings of Shop B' });
    await settings.waitFor();
    await page.keyboard.press('Escape');
    await settings.waitFor({ state: 'detached' });
    // Focus goes back to the button that opened the window.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Settings of Shop B');
  });

  it('lists the sales orders a fetch read, and opens one', async () => {
    const products = [...a.products.values()];
    for (let k = 0; k < 4; k++) {
      const o = demoOrder(k, products);
      a.orders.set(o._id, o);
    }
    await goto('Connections');
    await card('Shop A').getByRole('button', { name: 'Fetch', exact: true }).click();
    await card('Shop A').getByTestId('job-summary').getByText(/orders scanned/).waitFor();
    await goto('Orders');
    await page.getByRole('heading', { name: 'Orders', level: 1 }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 4);
    expect(await page.locator('tbody tr .dots').count()).toBe(4);
    await shot('23-orders');
    await page.locator('tbody tr').first().getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: /^Order #/ }).waitFor();
    await shot('24-order-detail');
  });
});

describe('web panel on a hub without tokens (pglite)', () => {
  it('skips the sign-in when the API needs no token', async () => {
    const hub = await startTestHub('pglite');
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      await page.goto(hub.url);
      await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor({ timeout: 20_000 });
      expect(await page.getByLabel('API token').count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    } finally {
      await browser.close();
      await hub.close();
    }
  });

  it('pauses with a bodiless call, stays live through a ticket, and creates the first token (then uses it)', async () => {
    const hub = await startTestHub('pglite');
    const store = await startStorefront({ key: 'open-panel-key-0123456', products: 1 });
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'] });
    try {
      await hub.api('POST', '/api/connections', { name: 'Open shop', kind: 'custom', config: { productsUrl: store.productsUrl, ordersUrl: store.ordersUrl, key: store.key } });
      const page = await browser.newPage();
      const streams: string[] = [];
      page.on('request', (r) => { if (r.url().includes('/api/events')) streams.push(r.url()); });
      await page.goto(hub.url);
      await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor({ timeout: 20_000 });
      // The live stream opens with a ticket, not a token.
      await page.locator('.live-dot.on').waitFor();
      expect(streams.some((u) => /\/api\/events\?ticket=/.test(u))).toBe(true);
      expect(streams.some((u) => /token=/.test(u))).toBe(false);
      // Pause is a POST without a body: the panel says it is JSON, which the open hub requires.
      await page.getByRole('button', { name: 'Pause Open shop' }).click();
      await page.getByRole('button', { name: 'Resume Open shop' }).waitFor();
      expect((await hub.api('GET', '/api/connections')).body.items[0].paused).toBe(true);

      await page.getByRole('button', { name: 'Access tokens' }).click();
      const dialog = page.getByRole('dialog', { name: 'API tokens' });
      await dialog.getByText('No tokens yet').waitFor();
      await dialog.getByLabel('New token').fill('laptop');
      await dialog.getByRole('button', { name: 'Create token' }).click();
      const secret = await dialog.getByLabel('The new token').inputValue();
      expect(secret).toMatch(/^cs_/);
      await dialog.getByRole('cell', { name: 'laptop' }).waitFor();
      // The hub is closed now; the panel goes on with the token it made.
      expect((await hub.api('GET', '/api/connections')).status).toBe(401);
      await dialog.getByRole('button', { name: 'Close' }).first().click();
      await page.getByRole('button', { name: 'Resume Open shop' }).click();
      await page.getByRole('button', { name: 'Pause Open shop' }).waitFor();
      expect((await hub.api('GET', '/api/connections', undefined, secret)).body.items[0].paused).toBe(false);
    } finally {
      await browser.close();
      await hub.close();
      await store.close();
    }
  });
});
