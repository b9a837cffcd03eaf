import type { Product } from '../../model/product.js';
import type { Cursor, ReadEvent } from '../types.js';
import type { CustomClient } from './custom.client.js';
import { walkIds, walkListing } from './paging.js';
import { fromStore, rawFingerprint, storeId, textFingerprint } from './product.mapper.js';

type Mapped = Extract<ReadEvent<Product>, { type: 'record' | 'invalid' }>;

/**
 * Products stream: a full scan of `GET {productsUrl}?offset=N`. The protocol has no
 * "changed since", so `from` is not used to filter; the final checkpoint records
 * when the scan started and whether it saw the whole list. With `ids` (a webhook's
 * hint) it reads just those products and ends incomplete. `unmapped` reads leave each
 * product as the store's text until the engine asks for it: most of a rescan is unchanged.
 *
 * @example
 * for await (const ev of readProducts(client, null, 100_000)) if (ev.type === 'record') save(ev.record);
 */
export async function* readProducts(
  client: CustomClient,
  _from: Cursor | null,
  maxPages: number,
  ids?: string[],
  unmapped = false,
): AsyncGenerator<ReadEvent<Product>> {
  const scannedAt = new Date().toISOString();
  const pages = ids ? walkIds(client, client.config.productsUrl, 'products', ids, maxPages) : walkListing(client, client.config.productsUrl, 'products', maxPages, unmapped);
  for await (const ev of pages) {
    if (ev.type === 'total') {
      yield ev;
    } else if (ev.type === 'text') {
      const { id, text } = ev;
      yield { type: 'unmapped', externalId: id, fingerprint: textFingerprint(text), map: () => mapText(id, text) };
    } else if (ev.type === 'item') {
      const externalId = unmapped ? storeId(ev.raw) : null;
      if (externalId === null) yield map(ev.raw);
      else yield { type: 'unmapped', externalId, fingerprint: ev.text === undefined ? rawFingerprint(ev.raw) : textFingerprint(ev.text), map: () => map(ev.raw) };
    } else {
      yield { type: 'checkpoint', cursor: { scannedAt }, complete: ev.complete, ...(ev.warning ? { warning: ev.warning } : {}) };
    }
  }
}

function map(raw: unknown): Mapped {
  const mapped = fromStore(raw);
  return mapped.ok
    ? { type: 'record', externalId: mapped.externalId, record: mapped.record, notices: mapped.notices }
    : { type: 'invalid', externalId: mapped.externalId, code: mapped.code, message: mapped.message };
}

/** A product the page held as text: only parsed now, so a product that is not JSON is an error on that product alone. */
function mapText(id: string, text: string): Mapped {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { type: 'invalid', externalId: id, code: 'invalid_json', message: `The store sent product ${id} as text that is not JSON (${(err as Error).message}).` };
  }
  return map(raw);
}
