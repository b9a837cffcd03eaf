import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Entity, WebhookEvent, WebhookRequest, WebhookSupport } from '../types.js';
import type { CustomConfig } from './config.js';
import { KEY_HEADER } from './custom.client.js';
import { isObject, readId } from './paging.js';

export const SIGNATURE_HEADER = 'x-channelsync-signature';

/** The event types of the custom protocol and the entity each one names. */
export const CUSTOM_EVENT_TYPES: Record<string, Entity> = {
  'order.created': 'orders',
  'order.updated': 'orders',
  'product.created': 'products',
  'product.updated': 'products',
  'stock.changed': 'products',
};

/** The most ids one event may name. */
const MAX_IDS = 1000;

/**
 * `sha256=<hex>`: HMAC-SHA256 of the raw body with the connection key, the value of
 * the X-Channelsync-Signature header (docs/custom-storefront-webhooks.md).
 *
 * @example signCustomWebhook('k3y', '{"id":"e1","type":"stock.changed","ids":["7"]}')
 */
export function signCustomWebhook(key: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', key).update(rawBody).digest('hex')}`;
}

function header(req: WebhookRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readEvent(raw: unknown, where: string): { ok: true; event: WebhookEvent } | { ok: false; field: string; message: string } {
  if (!isObject(raw)) return { ok: false, field: where || 'body', message: `${where || 'the body'} must be a JSON object { id, type, ids }` };
  const at = (f: string) => (where ? `${where}.${f}` : f);
  const id = readId(raw.id);
  if (id === null) return { ok: false, field: at('id'), message: `${at('id')} is required: the event's unique id (a repeated delivery is processed once)` };
  const type = typeof raw.type === 'string' ? raw.type : '';
  const entity = CUSTOM_EVENT_TYPES[type];
  if (!entity) {
    return { ok: false, field: at('type'), message: `${at('type')} must be one of ${Object.keys(CUSTOM_EVENT_TYPES).join(', ')}; got ${JSON.stringify(raw.type ?? null)}` };
  }
  if (!Array.isArray(raw.ids) || raw.ids.length === 0) {
    return { ok: false, field: at('ids'), message: `${at('ids')} must be a non-empty list of the store's _id of each changed ${entity === 'orders' ? 'order' : 'product'}` };
  }
  if (raw.ids.length > MAX_IDS) return { ok: false, field: at('ids'), message: `${at('ids')} names ${raw.ids.length} records; at most ${MAX_IDS} per event` };
  const ids: string[] = [];
  for (let i = 0; i < raw.ids.length; i++) {
    const v = readId(raw.ids[i]);
    if (v === null) return { ok: false, field: `${at('ids')}.${i}`, message: `${at('ids')}[${i}] must be a store _id (a string or a number)` };
    ids.push(v);
  }
  return { ok: true, event: { id, type, entity, ids } };
}

/**
 * Webhooks of the custom storefront protocol: a JSON event `{ id, type, ids }` (or
 * `{ events: [...] }`), signed with HMAC-SHA256 of the raw body under the connection
 * key (X-Channelsync-Signature: sha256=<hex>), or carrying the key itself in
 * X-Channelsync-Key for a store that cannot sign.
 */
export const customWebhooks: WebhookSupport<CustomConfig> = {
  verify(config, req) {
    const signature = header(req, SIGNATURE_HEADER)?.trim();
    if (signature) {
      const expected = signCustomWebhook(config.key, req.rawBody);
      return same(signature.startsWith('sha256=') ? signature : `sha256=${signature}`, expected);
    }
    const key = header(req, KEY_HEADER)?.trim();
    return key !== undefined && key !== '' && same(key, config.key);
  },
  parse(req) {
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      return { ok: false, field: 'body', message: 'the body is not valid JSON' };
    }
    if (isObject(body) && Array.isArray(body.events)) {
      const events: WebhookEvent[] = [];
      for (let i = 0; i < body.events.length; i++) {
        const r = readEvent(body.events[i], `events.${i}`);
        if (!r.ok) return r;
        events.push(r.event);
      }
      if (events.length === 0) return { ok: false, field: 'events', message: 'events must not be empty' };
      return { ok: true, events };
    }
    const r = readEvent(body, '');
    return r.ok ? { ok: true, events: [r.event] } : r;
  },
};
