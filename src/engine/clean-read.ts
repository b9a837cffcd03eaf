import type { ReadEvent } from '../connectors/types.js';
import type { Notice } from '../model/normalize.js';
import { cleanDeep, cleanText, describeRepair, shortText } from '../model/text.js';

type Ev<T> = Extract<ReadEvent<T>, { type: 'record' | 'unmapped' | 'invalid' }>;
type RecordEv<T> = Extract<ReadEvent<T>, { type: 'record' }>;

/**
 * A record read from a platform, as the database can hold it. A NUL character or an
 * unpaired surrogate in one record's text makes the database refuse the whole page it
 * is written with (and so every fetch of the connection): the text is cleaned (NUL and
 * control characters other than tab and line breaks removed, a lone surrogate replaced
 * with U+FFFD) and the record carries a `text_cleaned` notice per field, which becomes
 * a warning issue on it. Cleaning rather than refusing the record: the characters
 * dropped mean nothing a shop could want shown, and a refused record would be missing
 * from every other connection's listing.
 */
export function cleanReadEvent<T, E extends Ev<T>>(ev: E): E {
  if (ev.type === 'invalid') {
    return { ...ev, externalId: ev.externalId === null ? null : cleanText(ev.externalId), message: shortText(ev.message, 500) };
  }
  const externalId = cleanText(ev.externalId);
  if (ev.type === 'unmapped') {
    const map = ev.map;
    return { ...ev, externalId, map: () => { const m = map(); return m.type === 'record' ? cleanRecord(m) : cleanReadEvent(m); } };
  }
  return cleanRecord((externalId === ev.externalId ? ev : { ...ev, externalId }) as RecordEv<T>) as E;
}

function cleanRecord<T>(ev: RecordEv<T>): RecordEv<T> {
  const { value, cleaned } = cleanDeep(ev.record);
  if (cleaned.length === 0) return ev;
  const notices: Notice[] = ev.notices.map((n) => ({ ...n, message: shortText(n.message, 500) }));
  for (const c of cleaned) {
    notices.push({ code: 'text_cleaned', field: c.path, message: `${c.path}: the text held characters the hub cannot store (${describeRepair(c.repair)})` });
  }
  return { ...ev, record: value, notices };
}
