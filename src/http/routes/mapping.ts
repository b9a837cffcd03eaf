import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../server.js';
import { ApiError } from '../errors.js';
import { anyResponse, bodyObject, errorResponses, idParam, obj } from '../schemas.js';
import { getConnection, updateConnection } from '../../engine/connections.js';
import { replanInBackground } from '../../engine/replan.js';
import { orderGroups } from '../../engine/mapping/groups.js';
import { PLACEHOLDERS } from '../../engine/mapping/template.js';
import { previewListing } from '../../engine/mapping/preview.js';
import type { MappingGroup } from '../../engine/mapping/schema.js';

const groupParams = { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' } }, required: ['id', 'name'] };
const groupBody = obj('A mapping group: rules applied to the records `select` selects', {
  name: { type: 'string' },
  select: { type: 'string', description: 'Record sets, comma-separated: of brand B, of category C, of size S, of color C, tagged T, sku S*, with/without FIELD, with stock, out of stock' },
  priority: { type: 'integer', description: 'Higher wins where groups disagree' },
  overrides: { type: 'array', items: { type: 'string' }, description: 'Groups this one wins over' },
  category: { type: 'string', description: 'The platform category' },
  title: { type: 'string', description: `Template; placeholders: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}` },
  description: { type: 'string', description: 'Template' },
  attributes: obj('{ color?, size?, translations?: { color?: { hub: platform }, size? } }'),
  fields: obj('Overrides: brand, mpn, model, url (templates), deliveryDays'),
}, ['name']);

/**
 * Mapping groups of a connection (stored in its settings.groups, so they replan like any
 * setting) and the listing preview of one product.
 */
export async function mappingRoutes(app: FastifyInstance, { hub }: RouteDeps): Promise<void> {
  const ordered = (groups: MappingGroup[]) => {
    const o = orderGroups(groups);
    const order = o.ok ? o.order : groups.map((_, i) => i);
    return order.map((i, rank) => ({ ...groups[i], rank: rank + 1 }));
  };
  /** Saves the groups; a 400 from the settings is re-addressed to the body when it is about the group sent. */
  const save = async (id: string, groups: MappingGroup[], index: number) => {
    try {
      const { before, after } = await updateConnection(hub, id, { settings: { groups } });
      if (JSON.stringify(before.settings) !== JSON.stringify(after.settings)) replanInBackground(hub);
      return after.settings.groups ?? [];
    } catch (err) {
      if (err instanceof ApiError && err.field?.startsWith(`settings.groups.${index}`)) {
        const field = err.field.slice(`settings.groups.${index}`.length).replace(/^\./, '') || 'body';
        throw ApiError.badRequest(err.message.replace(`${err.field}: `, `${field}: `), field);
      }
      throw err;
    }
  };
  const find = (groups: MappingGroup[], name: string) => {
    const i = groups.findIndex((g) => g.name.toLowerCase() === name.toLowerCase());
    if (i < 0) throw ApiError.notFound(`mapping group "${name}" not found`);
    return i;
  };

  app.get('/api/connections/:id/mapping-groups', {
    schema: { tags: ['mapping'], params: idParam, response: { 200: anyResponse('{ items: groups in the order they are consulted, the winner first (rank), placeholders }'), ...errorResponses } },
  }, async (req) => {
    const c = await getConnection(hub, (req.params as { id: string }).id);
    return { items: ordered(c.settings.groups ?? []), placeholders: PLACEHOLDERS };
  });
  app.post('/api/connections/:id/mapping-groups', {
    schema: { tags: ['mapping'], params: idParam, body: groupBody, response: { 201: anyResponse('The group, with its rank'), 409: anyResponse('A group of that name exists'), ...errorResponses } },
  }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const body = bodyObject(req.body) as unknown as MappingGroup;
    const groups = (await getConnection(hub, id)).settings.groups ?? [];
    if (typeof body.name === 'string' && groups.some((g) => g.name.toLowerCase() === body.name.trim().toLowerCase())) {
      throw new ApiError('CS_CONFLICT', `name: a mapping group "${body.name}" exists already; PUT it to change it`, 'name');
    }
    const saved = await save(id, [...groups, body], groups.length);
    reply.status(201);
    return ordered(saved).find((g) => g.name === saved[saved.length - 1].name);
  });
  app.put('/api/connections/:id/mapping-groups/:name', {
    schema: {
      tags: ['mapping'], params: groupParams, body: groupBody,
      description: 'Replaces the group. A new `name` renames it, in the other groups\' `overrides` too.',
      response: { 200: anyResponse('The group, with its rank'), 409: anyResponse('Another group has the new name'), ...errorResponses },
    },
  }, async (req) => {
    const { id, name } = req.params as { id: string; name: string };
    const body = bodyObject(req.body) as unknown as MappingGroup;
    const groups = [...((await getConnection(hub, id)).settings.groups ?? [])];
    const i = find(groups, name);
    const was = groups[i].name;
    const now = typeof body.name === 'string' ? body.name.trim() : was;
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    if (!same(now, was) && groups.some((g, k) => k !== i && same(g.name, now))) {
      throw new ApiError('CS_CONFLICT', `name: a mapping group "${now}" exists already`, 'name');
    }
    groups[i] = { ...body, name: body.name ?? was };
    // A rename carries the other groups' references along: they still win over (or lose to) the same group.
    if (!same(now, was)) {
      for (const [k, g] of groups.entries()) {
        if (k !== i && g.overrides.some((o) => same(o, was))) groups[k] = { ...g, overrides: g.overrides.map((o) => (same(o, was) ? now : o)) };
      }
    }
    const saved = await save(id, groups, i);
    return ordered(saved).find((g) => g.name === saved[i].name);
  });
  app.delete('/api/connections/:id/mapping-groups/:name', {
    schema: { tags: ['mapping'], params: groupParams, response: { 200: anyResponse('{ deleted: name }'), 409: anyResponse('Another group overrides it'), ...errorResponses } },
  }, async (req) => {
    const { id, name } = req.params as { id: string; name: string };
    const groups = [...((await getConnection(hub, id)).settings.groups ?? [])];
    const i = find(groups, name);
    const [gone] = groups.splice(i, 1);
    const dangling = groups.find((g) => g.overrides.some((o) => o.toLowerCase() === gone.name.toLowerCase()));
    if (dangling) throw new ApiError('CS_CONFLICT', `mapping group "${dangling.name}" overrides "${gone.name}": change it first`);
    await save(id, groups, -1);
    return { deleted: gone.name };
  });
  app.get('/api/connections/:id/preview/:productId', {
    schema: {
      tags: ['mapping'],
      params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, productId: { type: 'string', format: 'uuid' } }, required: ['id', 'productId'] },
      response: { 200: anyResponse('{ operation, receives, fields: [{ path, value, rule }], changes, problems }'), ...errorResponses },
    },
  }, async (req) => {
    const { id, productId } = req.params as { id: string; productId: string };
    return previewListing(hub, id, productId);
  });
}
