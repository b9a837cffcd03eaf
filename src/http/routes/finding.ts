import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../server.js';
import { ApiError } from '../errors.js';
import { anyResponse, errorResponses, idParam, intParam, obj } from '../schemas.js';
import { describeSets } from '../../engine/sets.js';
import { troubleshoot } from '../../engine/troubleshoot.js';
import { CLOCK_ENTITIES, resetClocks, type ClockEntity } from '../../engine/deletions.js';
import { getConnection } from '../../engine/connections.js';
import { editProduct, recordHistory } from '../../engine/history.js';
import { connectionStats } from '../../engine/stats.js';
import { startIntegrity } from '../../engine/maintenance.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEVERITIES = ['error', 'warning', 'notice'];

/** Finding and fixing (SPEC section 6): sets, troubleshoot, clocks, edits, history, stats, maintenance. */
export async function findingRoutes(app: FastifyInstance, { hub }: RouteDeps): Promise<void> {
  app.get('/api/sets', {
    schema: {
      tags: ['finding'], description: 'The sets the `q` of GET /api/products and GET /api/orders understands, for autocomplete',
      querystring: { type: 'object', properties: { entity: { type: 'string', enum: ['products', 'orders'] } } },
      response: { 200: anyResponse('{ entity, items: [{ set, example, description }], connections, kinds, fields, syntax }'), ...errorResponses },
    },
  }, async (req) => {
    const { entity = 'products' } = req.query as { entity?: string };
    if (entity !== 'products' && entity !== 'orders') throw ApiError.badRequest('entity: one of products, orders', 'entity');
    return describeSets(hub, entity === 'products' ? 'product' : 'order');
  });

  app.get('/api/issues/troubleshoot', {
    schema: {
      tags: ['issues'], description: 'Every open issue grouped into patterns (same code and message, values masked), largest first',
      querystring: { type: 'object', properties: { connectionId: { type: 'string' }, severity: { type: 'string', enum: SEVERITIES }, limit: { type: 'integer' }, examples: { type: 'integer' } } },
      response: { 200: anyResponse('{ total, patterns: [{ severity, code, pattern, count, records, connections, examples }] }'), ...errorResponses },
    },
  }, async (req) => {
    const q = req.query as { connectionId?: string; severity?: string; limit?: string; examples?: string };
    if (q.connectionId && !uuid.test(q.connectionId)) throw ApiError.badRequest('connectionId: must be a uuid', 'connectionId');
    if (q.severity && !SEVERITIES.includes(q.severity)) throw ApiError.badRequest('severity: one of error, warning, notice', 'severity');
    return troubleshoot(hub, {
      connectionId: q.connectionId, severity: q.severity,
      limit: intParam(q.limit, 'limit', 1, 1000, 50), examples: intParam(q.examples, 'examples', 0, 50, 3),
    });
  });

  app.post('/api/connections/:id/clocks/reset', {
    schema: {
      tags: ['connections'], params: idParam,
      description: 'Resets the clocks: the next fetch rescans everything and marks what it does not find gone (with the mass-delete guard)',
      body: obj('Optional: { entity: "products" | "orders" } (default both)', { entity: { type: 'string', enum: CLOCK_ENTITIES } }),
      response: { 200: anyResponse('{ id, clocks }'), ...errorResponses },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const body = (req.body ?? {}) as { entity?: unknown };
    if (typeof body !== 'object' || Array.isArray(body)) throw ApiError.badRequest('body: must be a JSON object', 'body');
    if (body.entity !== undefined && !CLOCK_ENTITIES.includes(body.entity as ClockEntity)) {
      throw ApiError.badRequest(`entity: one of ${CLOCK_ENTITIES.join(', ')}`, 'entity');
    }
    await getConnection(hub, id);
    const clocks = await resetClocks(hub, id, body.entity ? [body.entity as ClockEntity] : CLOCK_ENTITIES);
    return { id, clocks };
  });

  app.patch('/api/products/:id', {
    schema: {
      tags: ['products'], params: idParam,
      description: 'Changes a product in the hub: top-level fields replace, `variations` items are matched by sku. '
        + 'Every connection that writes a changed field gets a pending update; the change is kept in the history.',
      body: obj('Any product fields; variations: [{ sku, ...fields to change }]'),
      response: { 200: anyResponse('The product with its equivalences and pending changes, and `changed`: the fields changed'), ...errorResponses },
    },
  }, async (req) => {
    const user = req.headers['x-channelsync-user'];
    return editProduct(hub, (req.params as { id: string }).id, req.body, typeof user === 'string' && user.trim() ? user.trim().slice(0, 200) : 'api');
  });

  for (const [path, entity] of [['products', 'product'], ['orders', 'order']] as const) {
    app.get(`/api/${path}/:id/history`, {
      schema: {
        tags: [path], params: idParam, description: 'Every change to the record: field, old and new value, source (connection, user, rule...), time; newest first',
        querystring: { type: 'object', properties: { field: { type: 'string' }, limit: { type: 'integer' }, cursor: { type: 'string' } } },
        response: { 200: anyResponse('{ items: [{ field, oldValue, newValue, source: { type, id, name? }, jobId, at }], nextCursor }'), ...errorResponses },
      },
    }, async (req) => {
      const q = req.query as { field?: string; limit?: string; cursor?: string };
      return recordHistory(hub, entity, (req.params as { id: string }).id, {
        field: q.field || undefined, cursor: q.cursor || undefined, limit: intParam(q.limit, 'limit', 1, 1000, 100),
      });
    });
  }

  app.get('/api/connections/:id/stats', {
    schema: {
      tags: ['connections'], params: idParam,
      response: { 200: anyResponse('Records, equivalences by status, with issues, pending; last fetch and send with duration and throughput'), ...errorResponses },
    },
  }, async (req) => connectionStats(hub, (req.params as { id: string }).id));

  app.post('/api/maintenance/integrity', {
    schema: {
      tags: ['maintenance'],
      description: 'Starts the integrity fix: re-validates every record against the current model, repairs what it can, '
        + 'raises an issue on what it cannot, recomputes all pending changes. Follow it with GET /api/jobs/:id',
      response: { 202: anyResponse('{ jobId, job }'), ...errorResponses },
    },
  }, async (_req, reply) => {
    const job = await startIntegrity(hub);
    reply.status(202);
    return { jobId: job.id, job };
  });
}
