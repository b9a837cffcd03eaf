import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../server.js';
import { anyResponse, bodyObject, errorResponses, obj } from '../schemas.js';
import { ApiError } from '../errors.js';
import { TICKET_TTL_MS } from '../auth.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function tokenRoutes(app: FastifyInstance, _deps: RouteDeps): Promise<void> {
  app.post('/api/tokens', {
    schema: { tags: ['hub'], body: obj('A token to create', { name: { type: 'string' } }), response: { 201: anyResponse('{ id, name, token } (the token is shown once)'), ...errorResponses } },
  }, async (req, reply) => {
    const body = req.body === undefined || req.body === null ? {} : bodyObject(req.body);
    const name = body.name ?? 'api';
    if (typeof name !== 'string' || name.trim() === '') throw ApiError.badRequest('name: must be a non-empty string', 'name');
    if (name.trim().length > 200) throw ApiError.badRequest('name: at most 200 characters', 'name');
    const created = await app.auth.create(name.trim());
    reply.status(201);
    return { id: created.id, name: name.trim(), token: created.token };
  });

  app.get('/api/tokens', {
    schema: { tags: ['hub'], description: 'The stored API tokens, without their secrets (CHANNELSYNC_TOKEN is not listed)', response: { 200: anyResponse('{ items: [{ id, name, createdAt, lastUsedAt }] }'), ...errorResponses } },
  }, async () => ({ items: await app.auth.list() }));

  app.delete('/api/tokens/:id', {
    schema: {
      tags: ['hub'],
      description: 'Revokes a token: refused at once by this process, within 5 s by others sharing the database. '
        + 'The last token cannot be revoked while CHANNELSYNC_TOKEN is not set (create another first).',
      params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] },
      response: { 200: anyResponse('{ revoked: id }'), 409: anyResponse('It is the last token'), ...errorResponses },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    if (!uuid.test(id)) throw ApiError.badRequest('id: must be a uuid', 'id');
    const outcome = await app.auth.revoke(id);
    if (outcome === 'missing') throw ApiError.notFound(`No token ${id}`);
    if (outcome === 'last') {
      throw new ApiError('CS_CONFLICT', 'This is the last API token: revoking it would open the API to anyone. Create another token first, or set CHANNELSYNC_TOKEN');
    }
    return { revoked: id };
  });

  app.post('/api/events/ticket', {
    schema: {
      tags: ['jobs'],
      description: `A ticket for the event streams (GET /api/events, /api/jobs/:id/events as ?ticket=), which EventSource cannot send a token to. It opens a stream within ${TICKET_TTL_MS / 1000} s; it is good for nothing else.`,
      response: { 200: anyResponse('{ ticket, expiresAt }'), ...errorResponses },
    },
  }, async (req) => app.auth.ticket(req.tokenId ?? null));
}
