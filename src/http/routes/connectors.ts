import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../server.js';
import { anyResponse } from '../schemas.js';
import { connectorKinds, getConnectorDefinition } from '../../connectors/registry.js';

/** The installed connector kinds, with the JSON Schema of each one's config (the panel builds its forms from it). */
export async function connectorRoutes(app: FastifyInstance, _deps: RouteDeps): Promise<void> {
  app.get('/api/connectors', { schema: { tags: ['connections'], response: { 200: anyResponse('{ items: [{ kind, label, capabilities, secretFields, configSchema }] }') } } },
    async () => ({
      items: connectorKinds().map((kind) => {
        const def = getConnectorDefinition(kind)!;
        let configSchema: unknown = null;
        try {
          configSchema = z.toJSONSchema(def.configSchema as z.ZodType, { io: 'input', unrepresentable: 'any' });
        } catch { /* a schema JSON Schema cannot express: the panel falls back to a JSON box */ }
        return { kind, label: def.label, capabilities: def.capabilities, secretFields: def.secretFields, configSchema };
      }),
    }));
}
