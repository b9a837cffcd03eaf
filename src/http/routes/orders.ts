import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../server.js';
import { ApiError } from '../errors.js';
import { anyResponse, errorResponses, idParam, obj } from '../schemas.js';
import { forceForward } from '../../engine/orders/force.js';

/** Order-specific routes; listing and reading orders are in records.ts. */
export async function orderRoutes(app: FastifyInstance, { hub, queue }: RouteDeps): Promise<void> {
  app.post('/api/orders/:id/forward', {
    schema: {
      tags: ['orders'], params: idParam,
      description: 'Forward an order to its fulfilling connection(s) even when some lines could not be matched; starts a send there.',
      body: obj('Optional: the connection to forward to (default: every connection with settings.absorb.orders)', { connectionId: { type: 'string', format: 'uuid' } }),
      response: { 202: anyResponse('{ forwards: [{ connectionId, name, state: queued | forwarded, externalId, jobId }] }'), 409: anyResponse('The order is cancelled'), ...errorResponses },
    },
  }, async (req, reply) => {
    const body = req.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw ApiError.badRequest('body: must be a JSON object', 'body');
    const targets = await forceForward(hub, (req.params as { id: string }).id, (body as { connectionId?: unknown }).connectionId);
    const forwards = [];
    for (const t of targets) {
      let jobId: string | null = null;
      if (t.state === 'queued') {
        // A paused connection keeps the planned forward; it is sent when the connection is resumed.
        jobId = await queue.enqueue('send', t.connectionId).then((j) => j.id, (err: unknown) => {
          if (err instanceof ApiError && err.code === 'CS_PAUSED') return null;
          throw err;
        });
      }
      forwards.push({ ...t, jobId });
    }
    reply.status(202);
    return { forwards };
  });
}
