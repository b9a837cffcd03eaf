import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../server.js';
import { ApiError } from '../errors.js';
import { anyResponse, errorResponses, idParam, intParam, obj } from '../schemas.js';
import { getRecord, listIssues, listRecords } from '../../engine/records.js';
import { resolveUncertainCreate } from '../../engine/uncertain.js';

export async function recordRoutes(app: FastifyInstance, { hub }: RouteDeps): Promise<void> {
  // Records
  const listQuery = { type: 'object', properties: { q: { type: 'string', description: 'A set expression' }, limit: { type: 'integer' }, cursor: { type: 'string' } } };
  for (const [path, entity] of [['products', 'product'], ['orders', 'order']] as const) {
    app.get(`/api/${path}`, { schema: { tags: [path], querystring: listQuery, response: { 200: anyResponse('{ items, total, nextCursor }; each item has equivalences [{ connectionId, externalId, status, issues, removals }], a create owed to a connection that absorbs products included (status pending_insert)'), ...errorResponses } } },
      async (req) => {
        const q = req.query as { q?: string; limit?: string; cursor?: string };
        return listRecords(hub, { entity, q: q.q, cursor: q.cursor, limit: intParam(q.limit, 'limit', 1, 1000, 50) });
      });
    app.get(`/api/${path}/:id`, { schema: { tags: [path], params: idParam, response: { 200: anyResponse('The record with its equivalences, pending changes and issues. A create owed to a connection that absorbs products and not stored yet (its send stores it) is an equivalence with status pending_insert and id null'), ...errorResponses } } },
      async (req) => getRecord(hub, entity, (req.params as { id: string }).id));
  }
  app.get('/api/issues', { schema: { tags: ['issues'], querystring: { type: 'object', properties: { connectionId: { type: 'string' }, severity: { type: 'string', enum: ['error', 'warning', 'notice'] }, recordId: { type: 'string' } } }, response: { 200: anyResponse('{ items }') } } },
    async (req) => {
      const q = req.query as { connectionId?: string; severity?: string; recordId?: string; limit?: string };
      for (const k of ['connectionId', 'recordId'] as const) {
        if (q[k] && !/^[0-9a-f-]{36}$/i.test(q[k]!)) throw ApiError.badRequest(`${k}: must be a uuid`, k);
      }
      if (q.severity && !['error', 'warning', 'notice'].includes(q.severity)) throw ApiError.badRequest('severity: one of error, warning, notice', 'severity');
      return listIssues(hub, { ...q, limit: intParam(q.limit, 'limit', 1, 5000, 500) });
    });

  // A create held back because its answer was lost and the product has nothing to look it up by.
  app.post('/api/products/:id/uncertain-create', {
    schema: {
      tags: ['products'], params: idParam,
      description: 'Answer for a create held back because its answer was lost and the product has no SKU to look it up by ' +
        '(issue create_uncertain): "create" when it is not on the platform (the next send creates it), "bind" when it is, as externalId.',
      body: obj('The answer', {
        connectionId: { type: 'string', format: 'uuid' },
        resolution: { type: 'string', enum: ['create', 'bind'] },
        externalId: { type: 'string', description: 'The listing\'s id on the platform (resolution "bind")' },
      }),
      response: { 200: anyResponse('{ equivalenceId, resolution }'), 409: anyResponse('No create of this product is waiting for an answer there, or the listing is bound to another product'), ...errorResponses },
    },
  }, async (req) => resolveUncertainCreate(hub, (req.params as { id: string }).id, req.body));
}
