import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop } from './helpers/shops.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

describe.each(DATABASES)('a connection that absorbs products (%s)', (kind) => {
  let hub: TestHub;
  let a: Storefront;
  let b: Storefront;
  let A: any;
  let B: any;
  const db = () => hub.running.hub.db;
  /** A product added to the hub without being planned anywhere (what the send's net is for). */
  const addUnplanned = async (sku: string) => {
    await db().rows(sql`insert into records (entity, sku, data)
      select 'product', ${sku}, jsonb_set(data, '{sku}', to_jsonb(${sku}::text)) from records where entity = 'product' order by created_at limit 1`);
  };
  const skus = () => new Set([...b.products.values()].map((p) => p.sku));

  beforeAll(async () => {
    hub = await startTestHub(kind);
    a = await startStorefront({ key: 'absorb-a-123456', products: 20 });
    b = await startStorefront({ key: 'absorb-b-123456', products: 0 });
    A = await connectShop(hub, 'Source', a);
    B = await connectShop(hub, 'Absorbs', b, { settings: { absorb: { products: true } } });
  });
  afterAll(async () => {
    await hub?.close();
    await a?.close();
    await b?.close();
  });

  it('receives every product, and looks for missing ones again only once products were added', async () => {
    expect((await hub.run('fetch', A.id)).state).toBe('completed');
    expect((await hub.run('send', B.id)).summary.send.created).toBe(20);
    const [{ mark }] = await db().rows<{ mark: number }>(sql`select last_value::int8 as mark from records_added`);
    const [check] = await db().rows<{ records_mark: number }>(sql`select records_mark from absorb_checks where connection_id = ${B.id}`);
    expect(check.records_mark).toBe(mark);

    // A product nobody planned for B: the insert moved the sequence, so the next send looks and creates it.
    await addUnplanned('NET-1');
    const found = await hub.run('send', B.id);
    expect(found.summary.send).toMatchObject({ created: 1, failed: 0 });
    expect(skus().has('NET-1')).toBe(true);

    // Added without moving the sequence: the send trusts its last complete look and does not scan...
    await db().rows(sql`alter table records disable trigger records_added`);
    try {
      await addUnplanned('NET-2');
    } finally {
      await db().rows(sql`alter table records enable trigger records_added`);
    }
    expect((await hub.run('send', B.id)).summary.send.created).toBe(0);
    expect(skus().has('NET-2')).toBe(false);
    // ...until products are added again.
    await db().rows(sql`select nextval('records_added')`);
    expect((await hub.run('send', B.id)).summary.send.created).toBe(1);
    expect(skus().has('NET-2')).toBe(true);
    expect(b.products.size).toBe(22);
  });

  // Only a server has a second transaction open while a send runs (the embedded database has one session).
  it.runIf(kind === 'postgres')('does not trust a look that ran while a product was being added in another transaction', async () => {
    const before = b.products.size;
    // The insert moves the sequence at once; its transaction commits only after the send ended.
    await db().tx(async (tx) => {
      await db().rows(sql`insert into records (entity, sku, data)
        select 'product', 'OPEN-1', jsonb_set(data, '{sku}', '"OPEN-1"') from records where entity = 'product' order by created_at limit 1`, tx);
      const blind = await hub.run('send', B.id);
      expect(blind.summary.send.created).toBe(0);
    });
    // Committed now: the next send looks again instead of trusting the look that could not see it.
    const next = await hub.run('send', B.id);
    expect(next.summary.send).toMatchObject({ created: 1, failed: 0 });
    expect(skus().has('OPEN-1')).toBe(true);
    expect(b.products.size).toBe(before + 1);
  });
});
