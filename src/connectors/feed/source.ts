import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { request } from 'undici';
import { parse } from 'csv-parse';
import { ConnectorError, type ConnectorContext } from '../types.js';
import { contextReach, outsideImportDir, type Reach } from '../reach.js';
import { formatOf, sourceUrl, type FeedConfig } from './config.js';

/** One line of a feed, or a line that could not be read at all. `row` counts like a spreadsheet: the header is row 1. */
export type RowEvent =
  | { type: 'header'; columns: string[] }
  | { type: 'row'; row: number; values: Record<string, unknown> }
  | { type: 'bad'; row: number; message: string };

/**
 * The rows of a feed, streamed: CSV is parsed as it downloads (memory stays flat
 * with the file's size); JSON (a list of flat objects) is read whole. A line that
 * is not valid CSV is reported as `bad` and the rest is read.
 *
 * @example
 * for await (const ev of readRows(config, ctx)) if (ev.type === 'row') console.log(ev.row, ev.values.sku);
 */
export async function* readRows(config: FeedConfig, ctx: ConnectorContext): AsyncGenerator<RowEvent> {
  const input = await openSource(config, ctx);
  if (formatOf(config) === 'json') {
    yield* jsonRows(config, await readAll(input));
    return;
  }
  let header: string[] | null = null;
  const skipped: Array<{ row: number; message: string }> = [];
  const parser = input.pipe(parse({
    bom: true,
    delimiter: config.delimiter,
    columns: (h: string[]) => {
      header = h.map((c) => String(c).trim());
      return header;
    },
    info: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      if (err) skipped.push({ row: (err as { lines?: number }).lines ?? 0, message: plainCsvError(err) });
    },
  }));
  input.on('error', (err) => parser.destroy(err));
  let announced = false;
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (!announced && header) {
        announced = true;
        yield { type: 'header', columns: header };
      }
      while (skipped.length > 0) yield { type: 'bad', ...skipped.shift()! };
      yield { type: 'row', row: item.info.lines, values: item.record };
    }
  } catch (err) {
    if (err instanceof ConnectorError) throw err;
    throw new ConnectorError('invalid_data', `The feed at ${config.source} could not be read as CSV: ${plainCsvError(err)}`, (err as { code?: string }).code ?? 'csv error');
  }
  if (!announced && header) yield { type: 'header', columns: header };
  while (skipped.length > 0) yield { type: 'bad', ...skipped.shift()! };
}

function* jsonRows(config: FeedConfig, text: string): Generator<RowEvent> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    // Never the parser's message: it quotes the file's content.
    throw new ConnectorError('invalid_data', `The feed at ${config.source} is not valid JSON${jsonErrorPlace(err)}.`, `${text.length} characters`);
  }
  const list = Array.isArray(body) ? body
    : typeof body === 'object' && body !== null
      ? ['products', 'items', 'rows', 'data'].map((k) => (body as Record<string, unknown>)[k]).find(Array.isArray)
      : undefined;
  if (!Array.isArray(list)) {
    throw new ConnectorError('invalid_data',
      `The JSON feed at ${config.source} must be a list of objects (or an object with a "products" list).`, `top level: ${typeof body}`);
  }
  const columns = new Set<string>();
  for (const item of list) if (typeof item === 'object' && item !== null && !Array.isArray(item)) for (const k of Object.keys(item)) columns.add(k);
  yield { type: 'header', columns: [...columns] };
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    // JSON items are numbered from 2 like CSV rows, so "row 2" is always the first product line.
    if (typeof item !== 'object' || item === null || Array.isArray(item)) yield { type: 'bad', row: i + 2, message: `item ${i + 1} is not an object` };
    else yield { type: 'row', row: i + 2, values: item as Record<string, unknown> };
  }
}

async function openSource(config: FeedConfig, ctx: ConnectorContext): Promise<Readable> {
  const source = config.source!;
  const reach = contextReach(ctx);
  if (!/^https?:\/\//i.test(source)) return openFile(source, reach);
  for (let attempt = 0; ; attempt++) {
    let error: ConnectorError;
    try {
      // Through the hub's address policy; each redirect is checked like the first address.
      const res = await request(sourceUrl(config), {
        method: 'GET', headers: { 'user-agent': 'channelsync' }, signal: ctx.signal,
        headersTimeout: config.timeoutMs, bodyTimeout: config.timeoutMs, dispatcher: reach.dispatcher({ connections: 8, redirects: 5 }),
      });
      if (res.statusCode >= 200 && res.statusCode < 300) return res.body;
      await res.body.dump();
      if (res.statusCode === 404) throw new ConnectorError('config', `There is no feed at ${source} (HTTP 404). Check the source address.`);
      if (res.statusCode === 401 || res.statusCode === 403) {
        throw new ConnectorError('auth', `The server at ${source} refused to hand out the feed (HTTP ${res.statusCode}). Put any access key in the address.`);
      }
      if (res.statusCode !== 429 && res.statusCode < 500) throw new ConnectorError('config', `The feed at ${source} answered HTTP ${res.statusCode}.`);
      error = new ConnectorError(res.statusCode === 429 ? 'rate_limited' : 'transient',
        `The server of the feed at ${source} is ${res.statusCode === 429 ? 'limiting requests' : `having problems (HTTP ${res.statusCode})`}; the hub will try again later.`);
    } catch (err) {
      if (err instanceof ConnectorError) throw err;
      if (ctx.signal.aborted) throw err;
      const own = ownError(err);
      if (own) throw own;
      error = new ConnectorError('transient', `The hub could not download the feed at ${source}.`, String(err));
    }
    if (attempt >= config.retries) throw error;
    await new Promise((r) => setTimeout(r, config.retryBaseMs * 2 ** attempt));
  }
}

/**
 * A feed file, opened only when its real path is inside the import folder: checked before
 * opening and again on the file actually opened (a path swapped for a symlink meanwhile is
 * caught), and only a regular file (not a device, a pipe or /proc).
 */
async function openFile(source: string, reach: Reach): Promise<Readable> {
  const real = await reach.importPath(source);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConnectorError('config',
      code === 'ENOENT' ? `The feed file ${source} does not exist in the import folder ${reach.importDir}.` : `The hub may not read the feed file ${source} (${code}).`,
      String(err));
  }
  try {
    const opened = await fs.promises.readlink(`/proc/self/fd/${handle.fd}`).catch(() => real);
    if (!(await reach.insideImportDir(opened))) throw outsideImportDir(source, reach.importDir);
    if (!(await handle.stat()).isFile()) throw new ConnectorError('config', `The feed source ${source} is not a file.`);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  return handle.createReadStream();
}

function ownError(err: unknown): ConnectorError | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 3 && e && typeof e === 'object'; depth++) {
    if (e instanceof ConnectorError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Where JSON.parse stopped, without the text around it. */
function jsonErrorPlace(err: unknown): string {
  const m = /position (\d+)/.exec((err as Error)?.message ?? '');
  if (m) return ` (it breaks at character ${Number(m[1]) + 1})`;
  return /Unexpected end/.test((err as Error)?.message ?? '') ? ' (it ends too early)' : '';
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '');
}

function plainCsvError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const counts = /length is (\d+), got (\d+)/.exec(e.message ?? '');
  if (counts) return `the line has a different number of cells than the header (${counts[2]} cells, the header has ${counts[1]})`;
  switch (e.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted cell is never closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quote in the middle of a cell';
    default:
      // The parser's own messages quote cell values: said by their code only.
      return e.code ? `the line could not be read (${e.code})` : 'the line could not be read';
  }
}
