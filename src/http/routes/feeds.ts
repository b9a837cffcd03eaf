import { timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../server.js';
import { ApiError } from '../errors.js';
import { anyResponse, errorResponses } from '../schemas.js';
import type { Hub } from '../../hub.js';
import type { Product } from '../../model/product.js';
import { getConnection, type LoadedConnection } from '../../engine/connections.js';
import { forCreate, project } from '../../engine/rules.js';
import { openReservations } from '../../engine/orders/ledger.js';
import { FEED_HEADER, feedRows } from '../../connectors/feed/export.js';

/** Records read per database round trip while a feed streams out. */
const PAGE = 500;

/**
 * GET /feeds/{connectionId}.csv|.json?key={key}: the connection's view of the
 * catalog (each product as that connection should show it: its price and stock
 * rules, open order reservations, only the fields it writes) for a marketplace to
 * pull. Built page by page as it streams, so it is current after every propagation
 * and memory stays flat with the catalog. Authorised by the connection's key.
 */
export async function feedRoutes(app: FastifyInstance, { hub }: RouteDeps): Promise<void> {
  app.get('/feeds/:file', {
    config: { access: 'external' },
    schema: {
      tags: ['feeds'], security: [],
      params: { type: 'object', properties: { file: { type: 'string', description: '{connectionId}.csv or {connectionId}.json' } }, required: ['file'] },
      querystring: { type: 'object', properties: { key: { type: 'string', description: "The connection's key" } } },
      response: { 200: anyResponse('The feed: CSV (one row per variation) or a JSON list of the same rows'), ...errorResponses },
    },
  }, async (req, reply) => {
    const { file } = req.params as { file: string };
    const m = /^([0-9a-f-]{36})\.(csv|json)$/i.exec(file);
    if (!m) throw ApiError.notFound(`No feed ${file}: feeds are at /feeds/{connectionId}.csv or .json`);
    const conn = await getConnection(hub, m[1]);
    const key = conn.config.key;
    const given = (req.query as { key?: string }).key;
    if (typeof key !== 'string' || !given || !sameKey(given, key)) {
      throw new ApiError('CS_UNAUTHORIZED', "This feed needs the connection's key: add ?key=<key> to the address");
    }
    const rows = Readable.from(viewRows(hub, conn));
    if (m[2].toLowerCase() === 'csv') {
      reply.type('text/csv; charset=utf-8');
      return reply.send(rows.pipe(stringify({ header: true, columns: FEED_HEADER, bom: false })));
    }
    reply.type('application/json; charset=utf-8');
    return reply.send(Readable.from(jsonList(rows)));
  });
}

/**
 * The connection's view of every product it holds or will hold (not those gone from it), page by page:
 * those it lists or plans to create, and, if it absorbs products, those it does not hold yet (unplanned.ts).
 */
async function* viewRows(hub: Hub, conn: LoadedConnection): AsyncGenerator<Record<string, string | number>> {
  let after = '00000000-0000-0000-0000-000000000000';
  const held = sql`select 1 from listing_facts l where l.connection_id = ${conn.id} and l.record_id = r.id`;
  for (;;) {
    const page = await hub.db.rows<{ record_id: string; data: Product }>(sql`
      select r.id as record_id, x.data from record_facts r join records x on x.id = r.id
      where r.entity = 'product' and r.id > ${after}::uuid
        and (exists (${held} and not l.gone) ${conn.settings.absorb.products ? sql`or not exists (${held})` : sql``})
      order by r.id limit ${PAGE}`);
    if (page.length === 0) return;
    after = page[page.length - 1].record_id;
    const reserved = conn.settings.absorb.orders ? new Map() : await openReservations(hub.db, page.map((r) => r.record_id));
    for (const r of page) {
      const view = forCreate(project(r.data, conn.settings, reserved.get(r.record_id)), conn.settings);
      yield* feedRows(view);
    }
  }
}

async function* jsonList(rows: AsyncIterable<unknown>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const row of rows) {
    yield `${first ? '\n' : ',\n'}${JSON.stringify(row)}`;
    first = false;
  }
  yield '\n]\n';
}

function sameKey(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
