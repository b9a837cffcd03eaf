import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../server.js';
import { ApiError } from '../errors.js';
import { anyResponse, errorResponses, idParam } from '../schemas.js';
import { getJob } from '../../jobs/queue.js';
import { streamEvents } from '../server.js';

export async function jobRoutes(app: FastifyInstance, { hub }: RouteDeps): Promise<void> {
  // Jobs
  app.get('/api/jobs/:id', { schema: { tags: ['jobs'], params: idParam, response: { 200: anyResponse('{ id, type, connectionId, state, phase, done, total, summary, error }'), ...errorResponses } } },
    async (req) => {
      const job = await getJob(hub, (req.params as { id: string }).id);
      if (!job) throw ApiError.notFound('job not found');
      return job;
    });
  app.get('/api/jobs/:id/events', { config: { events: true }, schema: { tags: ['jobs'], params: idParam, description: 'Server-sent events: the job as it progresses, until it ends. Authorised by the token, or by ?ticket= from POST /api/events/ticket (EventSource cannot send headers)' } },
    async (req, reply) => {
      const id = (req.params as { id: string }).id;
      const job = await getJob(hub, id);
      if (!job) throw ApiError.notFound('job not found');
      streamEvents(req, reply, hub, job, (e) => e.id === id);
    });
  app.get('/api/events', { config: { events: true }, schema: { tags: ['jobs'], description: 'Server-sent events: every job progress and connection change. Authorised by the token, or by ?ticket= from POST /api/events/ticket' } },
    async (req, reply) => { streamEvents(req, reply, hub, null, () => true); });

}
