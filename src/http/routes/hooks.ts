import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../server.js';
import { anyResponse } from '../schemas.js';
import { receiveWebhook } from '../../engine/webhooks.js';

/**
 * POST /hooks/:connectionId: pushes from platforms. Outside /api on purpose: a
 * platform has no API token; each request proves itself with the connection's key
 * (an HMAC signature of the raw body, or the key itself), checked by the connector.
 */
export async function hookRoutes(app: FastifyInstance, { hub, queue }: RouteDeps): Promise<void> {
  await app.register(async (scope) => {
    // Signatures are over the exact bytes received: keep the body raw in this scope.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post('/hooks/:connectionId', {
      config: { access: 'external' },
      schema: {
        tags: ['webhooks'],
        security: [],
        description: 'A platform pushes what changed (custom protocol: docs/custom-storefront-webhooks.md). ' +
          'Verified by X-Channelsync-Signature (sha256=HMAC of the raw body with the connection key) or X-Channelsync-Key; ' +
          'the same event id delivered twice is processed once.',
        params: { type: 'object', properties: { connectionId: { type: 'string', format: 'uuid' } }, required: ['connectionId'] },
        response: {
          200: anyResponse('{ received, duplicates, jobId: null }: nothing new to read'),
          202: anyResponse('{ received, duplicates, jobId }: a fetch of what the events name is queued'),
          400: anyResponse('A verified request whose body is not a valid event: `error.field` names what is wrong'),
          401: anyResponse('Not signed with the connection key: nothing was stored'),
          404: anyResponse('No such connection, or its kind takes no webhooks'),
        },
      },
    }, async (req, reply) => {
      const { connectionId } = req.params as { connectionId: string };
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const receipt = await receiveWebhook(hub, queue, connectionId, { headers: req.headers, rawBody });
      reply.status(receipt.jobId ? 202 : 200);
      return receipt;
    });
  });
}
