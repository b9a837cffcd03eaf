import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DATABASES, startTestHub, type TestHub } from './helpers/hub.js';
import { connectShop } from './helpers/shops.js';
import { demoProduct } from '../src/storefront/catalog.js';
import { startStorefront, type Storefront } from '../src/storefront/server.js';

/**
 * A fulfilling connection (absorb.orders) is handed every order from elsewhere when it is
 * fetched. Its send's net finds the orders it was never handed, for instance those imported
 * before it was connected. The net reads every order, so it looks again only once orders
 * were added or changed status since its last complete look.
 */
describe.each(DATABASES)('a connection that fulfils orders (%s)', (kind) => {
  let hub: TestHub;
  let m: Storefront;
  let w: Storefront;
  let M: any;
  let W: any;
  const db = () => hub.running.hub.db;
  const forwarded = async () => {
    const [{ n }] = await db().rows<{ n: number }>(sql`select count(*)::int as n from order_forwards where connection_id = ${W.id}`);
    return n;
  };
  const sendW = async () => {
    const job = await hub.run('send', W.id);
    expect(job.state, job.error).toBe('completed');
  };
  /** An order added to the hub without being handed to W (what the net is for). */
  const addUnplanned = async (number: string, status = 'paid') => {
    const [{ id }] = await db().rows<{ id: string }>(sql`insert into records (entity, sku, data, source_connection_id)
      select 'order', ${number}, jsonb_set(jsonb_set(data, '{number}', to_jsonb(${number}::text)), '{status}', to_jsonb(${status}::text)), source_connection_id
      from records where entity = 'order' order by created_at limit 1
      returning id`);
    return id;
  };

  beforeAll(async () => {
    hub = await startTestHub(kind);
    const products = [demoProduct(0), demoProduct(1)];
    m = await startStorefront({ key: 'fwd-net-m-123456', products });
    w = await startStorefront({ key: 'fwd-net-w-123456', products: [] });
    const v = products[0].variations![0];
    for (const n of ['N-1', 'N-2']) {
      m.placeOrder({ orderid: n, status: 'payed', total: { amount: 10, currency: 'USD' }, orderItems: [{ id: products[0]._id, variation_id: String(v._id), quantity: 1, unitPrice: 10 }] });
    }
    M = await connectShop(hub, 'Marketplace', m);
    expect((await hub.run('fetch', M.id)).state).toBe('completed');
    // Connected after the orders came in: nobody handed them to it.
    W = await connectShop(hub, 'Fulfils', w, { settings: { absorb: { orders: true } } });
  });
  afterAll(async () => {
    await hub?.close();
    await m?.close();
    await w?.close();
  });

  it('is handed the orders it missed, and looks again only once orders were added or changed status', async () => {
    expect(await forwarded()).toBe(0);
    await sendW();
    expect(await forwarded()).toBe(2);
    const [{ mark }] = await db().rows<{ mark: number }>(sql`select last_value::int8 as mark from orders_changed`);
    const [check] = await db().rows<{ orders_mark: number }>(sql`select orders_mark from forward_checks where connection_id = ${W.id}`);
    expect(check.orders_mark).toBe(mark);

    // An order nobody handed to W: the insert moved the sequence, so the next send looks.
    await addUnplanned('N-3');
    await sendW();
    expect(await forwarded()).toBe(3);

    // Added without moving the sequence: the send trusts its last complete look...
    await db().rows(sql`alter table records disable trigger orders_added`);
    try {
      await addUnplanned('N-4');
    } finally {
      await db().rows(sql`alter table records enable trigger orders_added`);
    }
    await sendW();
    expect(await forwarded()).toBe(3);
    // ...until orders are added again.
    await db().rows(sql`select nextval('orders_changed')`);
    await sendW();
    expect(await forwarded()).toBe(4);

    // A cancelled order is not forwarded; once it is no longer cancelled, it is.
    const cancelled = await addUnplanned('N-5', 'cancelled');
    await sendW();
    expect(await forwarded()).toBe(4);
    await db().rows(sql`update records set data = jsonb_set(data, '{status}', '"paid"') where id = ${cancelled}`);
    await sendW();
    expect(await forwarded()).toBe(5);

    // Any other change to an order (a note, a shipment) does not make the net look again.
    const [{ mark: before }] = await db().rows<{ mark: number }>(sql`select last_value::int8 as mark from orders_changed`);
    await db().rows(sql`update records set data = jsonb_set(data, '{notes}', '"gift"') where id = ${cancelled}`);
    const [{ mark: after }] = await db().rows<{ mark: number }>(sql`select last_value::int8 as mark from orders_changed`);
    expect(after).toBe(before);
  });
});
