import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../server.js';
import { anyResponse, bodyObject, errorResponses, obj } from '../schemas.js';
import { ApiError } from '../errors.js';
import { createToken } from '../auth.js';

export async function tokenRoutes(app: FastifyInstance, { hub }: RouteDeps): Promise<void> {
  app.post('/api/tokens', {
    schema: { tags: ['hub'], body: obj('A token to create', { name: { type: 'string' } }), response: { 201: anyResponse('{ token } (shown once)'), ...errorResponses } },
  }, async (req, reply) => {
    const body = req.body === undefined || req.body === null ? {} : bodyObject(req.body);
    const name = body.name ?? 'api';
    if (typeof name !== 'string' || name.trim() === '') throw ApiError.badRequest('name: must be a non-empty string', 'name');
    reply.status(201);
    return { token: await createToken(hub, name.trim()) };
  });
}
