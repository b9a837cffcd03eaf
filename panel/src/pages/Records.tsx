import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, type Connection, type Page, type RecordItem } from '../api';
import { hubStore, useHub } from '../store';
import { Link, navigate, useLocation } from '../router';
import { dateTime, money, num, plural } from '../format';
import { Icon } from '../ui/Icon';
import { ChannelDots, ChannelHeader, DotLegend } from './Dots';
import { SetSearch } from './SetSearch';

const splitSets = (q: string) => {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of q) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter(Boolean);
};

interface Variation { sku?: string; prices?: Array<{ amount: number; currency: string }>; availabilities?: Array<{ quantity: number }>; images?: string[] }

export function productSummary(p: Record<string, unknown>) {
  const vars = (Array.isArray(p.variations) ? p.variations : []) as Variation[];
  const stock = vars.reduce((n, v) => n + (v.availabilities ?? []).reduce((m, a) => m + (Number(a.quantity) || 0), 0), 0);
  const prices = vars.flatMap((v) => v.prices ?? []).filter((x) => typeof x.amount === 'number');
  const currency = prices[0]?.currency ?? 'USD';
  const amounts = prices.filter((x) => x.currency === currency).map((x) => x.amount);
  const min = amounts.length ? Math.min(...amounts) : null;
  const max = amounts.length ? Math.max(...amounts) : null;
  const price = min === null ? '—' : min === max ? money(min, currency) : `${money(min, currency)} – ${money(max!, currency)}`;
  const image = vars.flatMap((v) => v.images ?? [])[0];
  return { variants: vars.length, stock, price, image };
}

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** Tolerant readers for the universal order, whatever optional parts it carries. */
export function orderSummary(o: Record<string, unknown>) {
  const pick = (...vals: unknown[]) => vals.find((v) => v !== undefined && v !== null && v !== '');
  const dates = (o.dates ?? {}) as Record<string, unknown>;
  const buyer = (o.buyer ?? {}) as Record<string, unknown>;
  const totals = (o.totals ?? {}) as Record<string, unknown>;
  const number = str(pick(o.number, o.orderNumber, o.reference)) || String(o.id).slice(0, 8);
  const date = pick(o.dateCreated, o.placedAt, dates.placed, dates.created, o.date, o.createdAt);
  const buyerName = str(pick(buyer.name, [buyer.firstName, buyer.lastName].filter(Boolean).join(' '), buyer.email)) || '—';
  const currency = str(pick(o.currency, totals.currency)) || 'USD';
  const totalRaw = pick(totals.total, totals.grandTotal, totals.amount, o.total);
  const total = typeof totalRaw === 'number' ? money(totalRaw, currency) : totalRaw !== undefined ? str(totalRaw) : '—';
  const lines = Array.isArray(o.lines) ? o.lines.length : 0;
  return { number, date, buyer: buyerName, status: str(o.status) || '—', total, lines };
}

/** Products or orders: the set-search bar, a colour-coded table and cursor pagination. */
export function RecordsPage({ entity }: { entity: 'products' | 'orders' }) {
  const hub = useHub();
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const chips = splitSets(q);
  const [limit, setLimit] = useState(50);
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [page, setPage] = useState<Page<RecordItem> | null>(null);
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  const cursor = cursors[cursors.length - 1];

  const load = useCallback(async () => {
    const n = ++seq.current;
    setLoading(true);
    const params = new URLSearchParams({ limit: String(limit) });
    if (q) params.set('q', q);
    if (cursor) params.set('cursor', cursor);
    try {
      const data = await api<Page<RecordItem>>('GET', `/api/${entity}?${params}`);
      if (n !== seq.current) return;
      setPage(data);
      setError(null);
    } catch (err) {
      if (n !== seq.current) return;
      setPage(null);
      setError(err instanceof ApiError ? { message: err.message, field: err.field } : { message: String(err) });
    } finally {
      if (n === seq.current) setLoading(false);
    }
  }, [entity, q, cursor, limit]);

  useEffect(() => { void load(); }, [load]);
  // Dots change colour when a job ends: reread the page then (event-driven, no polling).
  useEffect(() => hubStore.onJobEnd(() => { void load(); }), [load]);

  const setChips = (next: string[]) => {
    setCursors([null]);
    const params = new URLSearchParams();
    if (next.length) params.set('q', next.join(', '));
    navigate(`/${entity}${next.length ? `?${params}` : ''}`, { replace: true });
  };

  const start = (cursors.length - 1) * limit;
  const items = page?.items ?? [];
  const title = entity === 'products' ? 'Products' : 'Orders';
  const qError = error && (error.field === 'q' || !error.field) ? error.message : null;

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>{title}</h1>
          <p className="muted">
            {page ? `${plural(page.total, entity === 'products' ? 'product' : 'order')}${chips.length ? ' in this set' : ' in the hub'}` : '\u00a0'}
          </p>
        </div>
      </div>

      <SetSearch entity={entity} chips={chips} onChange={setChips} connections={hub.connections} error={qError} />

      <div className="table-card card">
        <div className="table-toolbar">
          <DotLegend />
          {loading && <span className="spinner small" aria-label="Loading" />}
        </div>
        <div className="table-scroll">
          <table className="table" aria-busy={loading} aria-label={title}>
            <thead>
              {entity === 'products' ? (
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col" className="hide-sm">Brand</th>
                  <th scope="col" className="num hide-sm">Variants</th>
                  <th scope="col" className="num">Stock</th>
                  <th scope="col" className="num hide-xs">Price</th>
                  <th scope="col"><ChannelHeader connections={hub.connections} /></th>
                </tr>
              ) : (
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col" className="hide-sm">Date</th>
                  <th scope="col" className="hide-xs">Buyer</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">Total</th>
                  <th scope="col"><ChannelHeader connections={hub.connections} /></th>
                </tr>
              )}
            </thead>
            <tbody>
              {items.map((r) => entity === 'products' ? <ProductRow key={r.id} r={r} connections={hub.connections} /> : <OrderRow key={r.id} r={r} connections={hub.connections} />)}
            </tbody>
          </table>
          {!loading && items.length === 0 && !error && (
            <div className="table-empty">
              <Icon name={entity === 'products' ? 'box' : 'order'} size={24} />
              <strong>{chips.length ? `No ${entity} in this set` : `No ${entity} yet`}</strong>
              <span className="muted">{chips.length ? 'Remove a chip to widen the search.' : `Fetch a connection to read its ${entity} into the hub.`}</span>
            </div>
          )}
          {error && error.field !== 'q' && error.field && <div className="callout callout-error"><Icon name="error" size={16} />{error.message}</div>}
        </div>
        <div className="pager">
          <span className="muted small" data-testid="range">
            {page && page.total > 0 ? `${num(start + 1)}–${num(start + items.length)} of ${num(page.total)}` : ''}
          </span>
          <label className="pager-size small muted">
            Rows
            <select value={limit} onChange={(e) => { setLimit(Number(e.target.value)); setCursors([null]); }}>
              {[25, 50, 100, 250].map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </label>
          <div className="pager-buttons">
            <button type="button" className="btn btn-sm" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
              <Icon name="left" size={14} />Previous
            </button>
            <button type="button" className="btn btn-sm" disabled={!page?.nextCursor} onClick={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])}>
              Next<Icon name="right" size={14} />
            </button>
          </div>
        </div>
      </div>
    </div>
  );
}

function ProductRow({ r, connections }: { r: RecordItem; connections: Connection[] }) {
  const s = productSummary(r);
  const issues = r.equivalences.reduce((n, e) => n + (e.issues ?? 0), 0);
  return (
    <tr className="row-link" onClick={(e) => { if (!(e.target as HTMLElement).closest('a,button')) navigate(`/products/${r.id}`); }} data-sku={str(r.sku)}>
      <td>
        <div className="cell-product">
          <Thumb src={s.image} />
          <div className="cell-main">
            <Link to={`/products/${r.id}`} className="row-title">{str(r.title) || '(untitled product)'}</Link>
            <span className="mono muted small">{str(r.sku) || '—'}{issues > 0 && <span className="issue-tag"><Icon name="warning" size={12} />{issues}</span>}</span>
          </div>
        </div>
      </td>
      <td className="hide-sm">{str(r.brand) || <span className="muted">—</span>}</td>
      <td className="num hide-sm">{num(s.variants)}</td>
      <td className={`num ${s.stock === 0 ? 'text-danger' : ''}`}>{num(s.stock)}</td>
      <td className="num hide-xs">{s.price}</td>
      <td><ChannelDots equivalences={r.equivalences} connections={connections} /></td>
    </tr>
  );
}

function OrderRow({ r, connections }: { r: RecordItem; connections: Connection[] }) {
  const s = orderSummary(r);
  return (
    <tr className="row-link" onClick={(e) => { if (!(e.target as HTMLElement).closest('a,button')) navigate(`/orders/${r.id}`); }}>
      <td><Link to={`/orders/${r.id}`} className="row-title mono">#{s.number}</Link><span className="muted small block">{plural(s.lines, 'line')}</span></td>
      <td className="hide-sm">{dateTime(s.date)}</td>
      <td className="hide-xs">{s.buyer}</td>
      <td><span className="tag">{s.status}</span></td>
      <td className="num">{s.total}</td>
      <td><ChannelDots equivalences={r.equivalences} connections={connections} /></td>
    </tr>
  );
}

/** A product image; a neutral placeholder when there is none or it does not load. */
export function Thumb({ src, size = 40 }: { src?: string; size?: number }) {
  const [failed, setFailed] = useState(false);
  const ok = src && /^https?:\/\//i.test(src) && !failed;
  return (
    <span className="thumb" style={{ width: size, height: size }}>
      <Icon name="image" size={size * 0.45} />
      {ok && <img src={src} alt="" loading="lazy" referrerPolicy="no-referrer" onError={() => setFailed(true)} />}
    </span>
  );
}
