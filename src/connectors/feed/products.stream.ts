import type { Product } from '../../model/product.js';
import { ConnectorError, type ConnectorContext, type ReadEvent } from '../types.js';
import type { FeedConfig, FeedField } from './config.js';
import { fromRows, mappedFields, type FeedLine } from './product.mapper.js';
import { readRows } from './source.js';

/**
 * Products stream of a feed: rows grouped into products by the SKU column (a
 * product's rows must be next to each other), read as the file streams in. A row
 * that cannot be read becomes an `invalid` event naming its row and column, and the
 * rest of the feed imports. A feed without a source (export only) lists nothing and
 * says its listing is not complete, so nothing is ever inferred deleted from it.
 *
 * @example
 * for await (const ev of readProducts(config, ctx)) if (ev.type === 'invalid') console.log(ev.message); // row 7, column "Price": "abc" is not a number.
 */
export async function* readProducts(config: FeedConfig, ctx: ConnectorContext): AsyncGenerator<ReadEvent<Product>> {
  const scannedAt = new Date().toISOString();
  if (!config.source) {
    yield { type: 'checkpoint', cursor: { scannedAt }, complete: false };
    return;
  }
  const skuColumn = config.columns.sku!;
  const emitted = new Map<string, number>();
  let group: { sku: string; lines: FeedLine[] } | null = null;
  let products = 0;

  function* emit(g: { sku: string; lines: FeedLine[] }): Generator<ReadEvent<Product>> {
    const rows = g.lines.length === 1 ? `row ${g.lines[0].row}` : `rows ${g.lines[0].row}-${g.lines[g.lines.length - 1].row}`;
    const before = emitted.get(g.sku);
    if (before !== undefined) {
      yield {
        type: 'invalid', externalId: g.sku, code: 'rows_apart',
        message: `${rows}: product "${g.sku}" already appeared at row ${before}; the rows of one product must be next to each other, so these were not read.`,
      };
      return;
    }
    emitted.set(g.sku, g.lines[0].row);
    const mapped = fromRows(g.sku, g.lines, config);
    products++;
    yield mapped.ok
      ? { type: 'record', externalId: g.sku, record: mapped.record, notices: mapped.notices }
      : { type: 'invalid', externalId: g.sku, code: mapped.code, message: mapped.message };
  }

  for await (const ev of readRows(config, ctx)) {
    if (ev.type === 'header') {
      const present = new Set(ev.columns);
      const missing = mappedFields(config).filter((f: FeedField) => !present.has(config.columns[f]!));
      if (missing.length > 0) {
        throw new ConnectorError('config',
          `The feed has no column ${missing.map((f) => `"${config.columns[f]}" (for ${f})`).join(', ')}. Its columns are: ${columnList(ev.columns)}. ` +
            'Fix the column mapping of this connection or the file.',
          `missing columns: ${missing.join(', ')}`);
      }
    } else if (ev.type === 'bad') {
      yield { type: 'invalid', externalId: null, code: 'row_unreadable', message: `row ${ev.row}: ${ev.message}; the row was skipped.` };
    } else {
      const raw = ev.values[skuColumn];
      const sku = raw === undefined || raw === null ? '' : String(raw).trim();
      if (sku === '') {
        yield { type: 'invalid', externalId: null, code: 'sku_missing', message: `row ${ev.row}, column "${skuColumn}": empty; every row needs the product's SKU.` };
        continue;
      }
      if (group && group.sku === sku) {
        group.lines.push({ row: ev.row, values: ev.values });
        continue;
      }
      if (group) yield* emit(group);
      group = { sku, lines: [{ row: ev.row, values: ev.values }] };
    }
  }
  if (group) yield* emit(group);
  yield {
    type: 'checkpoint', cursor: { scannedAt }, complete: true,
    ...(products === 0 ? { warning: `The feed at ${config.source} lists no products at all.` } : {}),
  };
}

/** The file's header for an error message: its column names, each and all kept short (a file that is no feed says little of itself). */
function columnList(columns: string[]): string {
  if (columns.length === 0) return 'none';
  const names = columns.slice(0, 30).map((c) => (c.length > 40 ? `${c.slice(0, 40)}…` : c));
  return names.join(', ') + (columns.length > 30 ? ` and ${columns.length - 30} more` : '');
}
