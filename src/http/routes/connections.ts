import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../server.js';
import { ApiError } from '../errors.js';
import { anyResponse, bodyObject, errorResponses, idParam, intParam, obj } from '../schemas.js';
import {
  connectionCounts, createConnection, getConnection, listConnections, publicConnection, setPaused, updateConnection,
} from '../../engine/connections.js';
import { listJobs } from '../../jobs/queue.js';
import { scheduleView } from '../../jobs/scheduler.js';
import { connectorKinds } from '../../connectors/registry.js';
import { connectionState, replanInBackground } from '../server.js';

export async function connectionRoutes(app: FastifyInstance, { hub, queue }: RouteDeps): Promise<void> {
  // Connections
  const connectionBody = obj('A connection', {
    name: { type: 'string' },
    kind: { type: 'string', enum: connectorKinds() },
    config: obj('Connector configuration. For kind custom: { productsUrl, ordersUrl, productsWriteUrl?, ordersWriteUrl?, key? }'),
    settings: obj('Settings: absorb, fields, price, stock (SPEC section 9)'),
  }, ['name', 'kind', 'config']);
  const view = async (id: string) => {
    const c = await getConnection(hub, id);
    const jobs = await listJobs(hub, id, 5);
    return { ...publicConnection(c), ...(await connectionCounts(hub, id)), state: connectionState(c.paused, jobs), jobs, schedule: await scheduleView(hub, c) };
  };
  app.post('/api/connections', { schema: { tags: ['connections'], body: connectionBody, response: { 201: anyResponse('The created connection'), ...errorResponses } } },
    async (req, reply) => {
      const c = await createConnection(hub, bodyObject(req.body));
      if (c.settings.absorb.products) replanInBackground(hub);
      reply.status(201);
      return view(c.id);
    });
  app.get('/api/connections', { schema: { tags: ['connections'], response: { 200: anyResponse('{ items: connections }') } } },
    async () => ({ items: await Promise.all((await listConnections(hub)).map((c) => view(c.id))) }));
  app.get('/api/connections/:id', { schema: { tags: ['connections'], params: idParam, response: { 200: anyResponse('A connection with state, pending change counts and clocks'), ...errorResponses } } },
    async (req) => view((req.params as { id: string }).id));
  app.patch('/api/connections/:id', {
    schema: { tags: ['connections'], params: idParam, body: obj('Any of name, config, settings (merged into the current ones)', { name: { type: 'string' }, config: { type: 'object' }, settings: { type: 'object' } }), response: { 200: anyResponse('The updated connection'), ...errorResponses } },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const body = bodyObject(req.body);
    const { before, after } = await updateConnection(hub, id, body);
    // The schedule plans no changes: editing it needs no replan.
    const planned = (s: typeof before.settings) => JSON.stringify({ ...s, schedule: undefined });
    if (planned(before.settings) !== planned(after.settings)) replanInBackground(hub);
    return view(id);
  });
  for (const type of ['fetch', 'send', 'sync'] as const) {
    app.post(`/api/connections/:id/${type}`, {
      schema: { tags: ['jobs'], params: idParam, response: { 202: anyResponse('{ jobId }'), 409: anyResponse('The connection is paused'), ...errorResponses } },
    }, async (req, reply) => {
      const job = await queue.enqueue(type, (req.params as { id: string }).id);
      reply.status(202);
      return { jobId: job.id, job };
    });
  }
  for (const action of ['pause', 'resume'] as const) {
    app.post(`/api/connections/:id/${action}`, { schema: { tags: ['connections'], params: idParam, response: { 200: anyResponse('The connection'), ...errorResponses } } },
      async (req) => {
        const { id } = req.params as { id: string };
        await setPaused(hub, id, action === 'pause');
        return view(id);
      });
  }
  app.get('/api/connections/:id/jobs', { schema: { tags: ['jobs'], params: idParam } }, async (req) => {
    const { id } = req.params as { id: string };
    await getConnection(hub, id);
    return { items: await listJobs(hub, id, intParam((req.query as { limit?: string }).limit, 'limit', 1, 500, 50)) };
  });

}
