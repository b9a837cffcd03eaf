import { ConnectorError } from '../types.js';
import type { CustomClient } from './custom.client.js';
import { splitListing, type ListingElement } from './json-slices.js';

/** What the pager yields: the store's total once, then each new item, then how the listing ended. */
export type PageEvent =
  | { type: 'total'; total: number }
  /** `text`: the item as the store wrote it, when it could be located in the page. */
  | { type: 'item'; id: string | null; raw: unknown; text?: string }
  /** An item left as the store wrote it (see `walkListing`'s `asText`): `JSON.parse(text)` when needed. It may not parse. */
  | { type: 'text'; id: string; text: string }
  | { type: 'end'; complete: boolean; warning?: string };

/**
 * Walks a protocol listing (`GET {url}?offset=N`): offset += items received, until
 * the store's `itemsTotal` is reached or a page comes back empty. A store whose
 * paging lies cannot hang the hub: a page with no id not seen before, or `maxPages`
 * pages, ends the walk as incomplete. Only the set of seen ids is kept in memory.
 */
export async function* walkListing(
  client: CustomClient,
  listUrl: string,
  listKey: 'products' | 'orders',
  maxPages: number,
  /**
   * Yield items as their own text (`text` events), parsed by the caller only if it needs them:
   * a rescan fingerprints every item but reads few. A page whose items cannot all be located
   * with their ids is parsed whole and yields `item` events, with their texts where found.
   */
  asText = false,
): AsyncGenerator<PageEvent> {
  const seen = new Set<string>();
  let offset = 0;
  let total: number | null = null;

  for (let page = 0; ; page++) {
    if (page >= maxPages) {
      yield {
        type: 'end',
        complete: false,
        warning: `Stopped after ${maxPages} pages (${seen.size} ${listKey}) without reaching the end of the store's list.`,
      };
      return;
    }
    const url = withOffset(listUrl, offset);
    let body: unknown;
    let parts: PageParts | null = null;
    try {
      if (asText) ({ body, parts } = await client.getDecoded(url, (text) => readPage(text, listKey)));
      else body = await client.get(url);
    } catch (err) {
      if (err instanceof ConnectorError && err.kind === 'not_found') {
        throw new ConnectorError(
          'config',
          `The store has no ${listKey} list at ${listUrl} (HTTP 404). Check the ${listKey} URL of this connection.`,
          err.detail,
        );
      }
      throw err;
    }
    const items = parts?.ids ? parts.elements : isObject(body) ? body[listKey] : undefined;
    if (!Array.isArray(items)) {
      throw new ConnectorError(
        'invalid_data',
        `The store's ${listKey} list at ${url} (offset ${offset}) is not in the expected format: "${listKey}" is not a list.`,
        `GET ${url}: top-level keys ${isObject(body) ? Object.keys(body).slice(0, 10).join(', ') : typeof body}`,
      );
    }
    const pageTotal = readTotal(body as Record<string, unknown>);
    if (pageTotal !== null) {
      if (total === null) yield { type: 'total', total: pageTotal };
      total = pageTotal;
    }

    if (items.length === 0) {
      if (total !== null && offset < total) {
        yield {
          type: 'end',
          complete: false,
          warning: `The store said it has ${total} ${listKey} but listed only ${offset}.`,
        };
      } else {
        yield { type: 'end', complete: true, ...(seen.size === 0 ? { warning: `The store listed no ${listKey} at all.` } : {}) };
      }
      return;
    }

    const texts = parts && parts.elements.length === items.length ? parts.elements : null;
    let fresh = 0;
    for (let i = 0; i < items.length; i++) {
      if (parts?.ids) {
        const id = parts.ids[i];
        if (seen.has(id)) continue;
        seen.add(id);
        fresh++;
        yield { type: 'text', id, text: parts.elements[i].text };
        continue;
      }
      const raw: unknown = items[i];
      const id = isObject(raw) ? readId(raw._id) : null;
      if (id !== null) {
        if (seen.has(id)) continue;
        seen.add(id);
        fresh++;
      }
      yield texts ? { type: 'item', id, raw, text: texts[i].text } : { type: 'item', id, raw };
    }
    if (fresh === 0) {
      yield {
        type: 'end',
        complete: false,
        warning: `The store's paging repeats itself: the page at offset ${offset} brought no ${listKey} not already seen. Stopped after ${seen.size}.`,
      };
      return;
    }
    offset += items.length;
    if (total !== null && offset >= total) {
      yield { type: 'end', complete: true };
      return;
    }
  }
}

/** A listing page read with its items left as text; `ids` when every item's id was found. */
interface PageParts {
  elements: ListingElement[];
  ids: string[] | null;
}

/**
 * Parses a page's envelope and locates its items' texts and ids, or, when the page cannot
 * be taken apart, parses it whole. Throws as JSON.parse does on a page that is not JSON.
 */
function readPage(text: string, listKey: string): { body: unknown; parts: PageParts | null } {
  const split = splitListing(text, listKey, '_id');
  if (split === null) return { body: JSON.parse(text), parts: null };
  const ids: string[] = [];
  for (const el of split.elements) {
    const id = el.idText === null ? null : readIdText(el.idText);
    if (id === null) return { body: JSON.parse(text), parts: { elements: split.elements, ids: null } };
    ids.push(id);
  }
  return { body: JSON.parse(split.envelope), parts: { elements: split.elements, ids } };
}

/** An id from its JSON text: `"7"` or `7`, as `readId` reads the parsed value. */
function readIdText(idText: string): string | null {
  if (idText.length >= 2 && idText.charCodeAt(0) === 34 && idText.charCodeAt(idText.length - 1) === 34 && idText.indexOf('\\') < 0) return readId(idText.slice(1, -1));
  try {
    return readId(JSON.parse(idText));
  } catch {
    return null;
  }
}

/**
 * Reads just the listed ids: `GET {url}/{id}` each. An id the store answers 404 for
 * (gone, or a store without single-record reads) is looked for in one walk of the
 * listing. Ends incomplete: a read by ids never says what is missing from the store.
 */
export async function* walkIds(
  client: CustomClient,
  listUrl: string,
  listKey: 'products' | 'orders',
  ids: string[],
  maxPages: number,
): AsyncGenerator<PageEvent> {
  const missing = new Set<string>();
  for (const id of new Set(ids)) {
    let body: unknown;
    try {
      body = await client.get(withId(listUrl, id));
    } catch (err) {
      if (err instanceof ConnectorError && err.kind === 'not_found') {
        missing.add(id);
        continue;
      }
      throw err;
    }
    // A store that ignores the id in the path answers with its list.
    const list = isObject(body) && Array.isArray(body[listKey]) ? body[listKey] as unknown[] : null;
    const item = list ? list.find((x) => isObject(x) && readId(x._id) === id) : body;
    if (isObject(item) && readId(item._id) === id) yield { type: 'item', id, raw: item };
    else missing.add(id);
  }
  if (missing.size > 0) {
    for await (const ev of walkListing(client, listUrl, listKey, maxPages)) {
      if (ev.type !== 'item' || ev.id === null || !missing.has(ev.id)) continue;
      missing.delete(ev.id);
      yield ev;
      if (missing.size === 0) break;
    }
  }
  yield { type: 'end', complete: false };
}

export function withOffset(listUrl: string, offset: number): string {
  const u = new URL(listUrl);
  u.searchParams.set('offset', String(offset));
  return u.toString();
}

/** `{base}/{id}` keeping any query string of the configured URL. */
export function withId(baseUrl: string, id: string): string {
  const u = new URL(baseUrl);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/${encodeURIComponent(id)}`;
  return u.toString();
}

function readTotal(body: Record<string, unknown>): number | null {
  const paging = body.paging;
  if (!isObject(paging)) return null;
  const raw = paging.itemsTotal;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : null;
}

export function readId(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
