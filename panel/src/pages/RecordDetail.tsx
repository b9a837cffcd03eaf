import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, apiOptional, type Change, type Connection, type DetailEquivalence, type Issue, type RecordDetail } from '../api';
import { hubStore, useHub } from '../store';
import { Link } from '../router';
import { ago, dateTime, money, show } from '../format';
import { Icon } from '../ui/Icon';
import { toast } from '../ui/Toast';
import { Tabs } from '../ui/Form';
import { ConnectionAvatar } from './Connections';
import { dotKind } from './Dots';
import { orderSummary, productSummary, Thumb } from './Records';

const PRODUCT_ROWS: Array<[string, string]> = [
  ['title', 'Title'], ['sku', 'SKU'], ['brand', 'Brand'], ['mpn', 'MPN'], ['model', 'Model'], ['status', 'Status'],
  ['categories', 'Categories'], ['tags', 'Tags'], ['deliveryDays', 'Delivery days'], ['url', 'URL'], ['description', 'Description'],
];
const VARIATION_ROWS: Array<[string, string, string]> = [
  ['prices', 'Price', 'price'], ['availabilities', 'Stock', 'stock'], ['barcode', 'Barcode', 'barcode'], ['size', 'Size', 'size'],
  ['color', 'Color', 'color'], ['images', 'Images', 'images'], ['videos', 'Videos', 'videos'],
];
const ORDER_SKIP = new Set(['id', 'equivalences', 'issues', 'createdAt', 'updatedAt', 'sourceConnectionId']);

const STATUS_TEXT: Record<string, string> = {
  live: 'In sync', insert: 'To create', update: 'To update', remove: 'To remove', gone: 'Gone', error: 'Failed',
};

interface HistoryEntry { field: string; old: unknown; new: unknown; source: string; at: unknown }

function normalizeHistory(data: unknown, connections: Connection[]): HistoryEntry[] {
  const d = data as { items?: unknown[] } | unknown[] | null;
  const arr = (Array.isArray(d) ? d : d?.items ?? []) as Array<Record<string, unknown>>;
  const name = (id: unknown) => connections.find((c) => c.id === id)?.name;
  return arr.map((h) => {
    const src = h.source as Record<string, unknown> | string | undefined;
    let source = typeof src === 'string' ? src : '';
    if (src && typeof src === 'object') {
      const type = String(src.type ?? src.kind ?? '');
      const who = src.name ?? (type === 'connection' ? name(src.id) ?? name(src.connectionId) : undefined);
      source = who ? String(who) : type === 'user' && src.id ? `${String(src.id)} (user)` : type ? `${type}${src.id ? ` ${String(src.id)}` : ''}` : '';
    }
    const connName = name(h.connectionId ?? h.sourceConnectionId);
    if (connName && (!source || source === 'connection')) source = connName;
    if (!source) source = String(h.sourceKind ?? h.user ?? h.actor ?? 'hub');
    return {
      field: String(h.field ?? h.path ?? ''), old: h.oldValue ?? h.old ?? h.before, new: h.newValue ?? h.new ?? h.after, source,
      at: h.at ?? h.createdAt ?? h.changedAt ?? h.time,
    };
  });
}

/** One record: the hub's version beside each connection's, pending changes in colour, issues, history, editing. */
export function RecordDetailPage({ entity, id }: { entity: 'products' | 'orders'; id: string }) {
  const hub = useHub();
  const [rec, setRec] = useState<RecordDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<'compare' | 'issues' | 'history'>('compare');
  const [history, setHistory] = useState<HistoryEntry[] | null | 'missing'>(null);
  const [editing, setEditing] = useState(false);

  const load = useCallback(async () => {
    try {
      setRec(await api<RecordDetail>('GET', `/api/${entity}/${id}`));
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  }, [entity, id]);
  const loadHistory = useCallback(async () => {
    try {
      const data = await apiOptional<unknown>('GET', `/api/${entity}/${id}/history`);
      setHistory(data === null ? 'missing' : normalizeHistory(data, hubStore.getSnapshot().connections));
    } catch {
      setHistory('missing');
    }
  }, [entity, id]);

  useEffect(() => { void load(); }, [load]);
  useEffect(() => { if (tab === 'history') void loadHistory(); }, [tab, loadHistory]);
  useEffect(() => hubStore.onJobEnd(() => { if (!editing) { void load(); if (tab === 'history') void loadHistory(); } }), [load, loadHistory, editing, tab]);

  if (error) {
    return (
      <div className="page">
        <Link to={`/${entity}`} className="back-link"><Icon name="arrowLeft" size={14} />{entity === 'products' ? 'Products' : 'Orders'}</Link>
        <div className="callout callout-error" role="alert"><Icon name="error" size={16} />{error}</div>
      </div>
    );
  }
  if (!rec) return <div className="page"><div className="card skeleton" style={{ height: 320 }} /></div>;

  const isProduct = entity === 'products';
  const title = isProduct ? (typeof rec.title === 'string' && rec.title) || '(untitled product)' : `Order #${orderSummary(rec).number}`;
  const conns = rec.equivalences.map((e) => ({ e, c: hub.connections.find((c) => c.id === e.connectionId) }));
  const pendingCount = rec.equivalences.reduce((n, e) => n + (e.pending?.changes?.length ?? 0), 0);
  const issues = rec.issues ?? [];

  return (
    <div className="page">
      <Link to={`/${entity}`} className="back-link"><Icon name="arrowLeft" size={14} />{isProduct ? 'Products' : 'Orders'}</Link>
      <div className="record-head">
        {isProduct && <Thumb src={productSummary(rec).image} size={64} />}
        <div className="record-titles">
          <h1>{title}</h1>
          <div className="record-meta">
            {isProduct && typeof rec.sku === 'string' && rec.sku && <span className="mono">{rec.sku}</span>}
            {isProduct && typeof rec.brand === 'string' && rec.brand && <span>{rec.brand}</span>}
            {isProduct && <span className={`tag ${rec.status === 'unpublished' ? 'tag-muted' : 'tag-ok'}`}>{String(rec.status ?? 'published')}</span>}
            {!isProduct && (() => {
              const o = orderSummary(rec);
              return <><span className="tag">{o.status}</span><span>{o.buyer}</span><strong>{o.total}</strong><span className="muted">{dateTime(o.date)}</span></>;
            })()}
            <span className="muted">Updated {ago(rec.updatedAt)}</span>
          </div>
        </div>
        <div className="record-actions">
          {isProduct && !editing && <button type="button" className="btn" onClick={() => { setEditing(true); setTab('compare'); }}><Icon name="edit" size={16} />Edit</button>}
        </div>
      </div>

      <ul className="eq-strip" aria-label="Where this record lives">
        {conns.map(({ e, c }) => {
          const k = dotKind({ status: e.status, removals: e.pending?.changes?.some((x) => x.kind === 'remove') });
          return (
            <li key={e.id ?? `planned-${e.connectionId}`} className={`eq-chip eq-${k}`}>
              {c ? <ConnectionAvatar c={c} size={24} /> : null}
              <span className="eq-chip-name">{c?.name ?? 'Deleted connection'}</span>
              <span className={`status-tag st-${k}`}>{STATUS_TEXT[k]}</span>
              {e.issues.length > 0 && <span className="issue-tag"><Icon name="warning" size={12} />{e.issues.length}</span>}
            </li>
          );
        })}
        {conns.length === 0 && <li className="muted">Not on any connection yet.</li>}
      </ul>

      <Tabs label="Record sections" value={tab} onChange={setTab} tabs={[
        ['compare', <>Across connections{pendingCount > 0 && <span className="tab-count">{pendingCount}</span>}</>],
        ['issues', <>Issues{issues.length > 0 && <span className="tab-count danger">{issues.length}</span>}</>],
        ['history', 'History'],
      ]} />

      {tab === 'compare' && (isProduct
        ? <ProductCompare rec={rec} conns={conns} editing={editing} onDone={(saved) => { setEditing(false); if (saved) void load(); }} />
        : <OrderCompare rec={rec} conns={conns} />)}
      {tab === 'compare' && isProduct && <HeldStock ledger={rec.reservations as HoldLedger | undefined} connections={hub.connections} />}
      {tab === 'issues' && <IssueList issues={issues} connections={hub.connections} recordId={rec.id} onChanged={() => void load()} />}
      {tab === 'history' && <HistoryList history={history} />}
    </div>
  );
}

type Conns = Array<{ e: DetailEquivalence; c: Connection | undefined }>;

function changeMap(e: DetailEquivalence): Map<string, Change> {
  const m = new Map<string, Change>();
  for (const ch of e.pending?.changes ?? []) m.set(ch.path, ch);
  return m;
}

function ChangeCell({ change, field, insert }: { change: Change; field: string; insert: boolean }) {
  const kind = insert ? 'insert' : change.kind === 'remove' ? 'remove' : change.kind === 'insert' ? 'insert' : 'update';
  const label = kind === 'insert' ? 'to create' : kind === 'remove' ? 'to remove' : 'to update';
  return (
    <td className={`cell-change ch-${kind}`} data-change={kind}>
      <span className="sr-only">{label}: </span>
      {kind === 'insert' ? <span className="ch-new">{show(change.new, field)}</span> : (
        <>
          <span className="ch-old">{show(change.old, field)}</span>
          <Icon name="arrowRight" size={12} className="ch-arrow" />
          <span className="ch-new">{show(change.new, field)}</span>
        </>
      )}
    </td>
  );
}

function ProductCompare({ rec, conns, editing, onDone }: { rec: RecordDetail; conns: Conns; editing: boolean; onDone: (saved: boolean) => void }) {
  const maps = useMemo(() => conns.map(({ e }) => changeMap(e)), [conns]);
  const variations = (Array.isArray(rec.variations) ? rec.variations : []) as Array<Record<string, unknown>>;
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState<{ field?: string; message: string } | null>(null);

  useEffect(() => { if (!editing) { setDraft({}); setFieldError(null); } }, [editing]);

  const ackOf = (e: DetailEquivalence, key: string, sku?: string): unknown => {
    const ack = e.acknowledged;
    if (!ack) return undefined;
    if (sku === undefined) return ack[key];
    const v = (Array.isArray(ack.variations) ? ack.variations : []) as Array<Record<string, unknown>>;
    return v.find((x) => x.sku === sku)?.[key];
  };

  const cells = (path: string, key: string, field: string, sku?: string) => conns.map(({ e }, i) => {
    const ch = maps[i].get(path);
    if (ch) return <ChangeCell key={e.id ?? `planned-${e.connectionId}`} change={ch} field={field} insert={e.pending?.op === 'insert'} />;
    const v = ackOf(e, key, sku);
    // In sync values are gray, as in the seed: only what differs stands out.
    const hubValue = sku === undefined ? rec[key] : variations.find((x) => x.sku === sku)?.[key];
    const same = v !== undefined && JSON.stringify(v) === JSON.stringify(hubValue);
    return <td key={e.id ?? `planned-${e.connectionId}`} className={v === undefined ? 'muted' : same ? 'same' : ''}>{v === undefined ? '—' : <Value v={v} field={field} />}</td>;
  });

  const editable = new Set(['title', 'brand', 'mpn', 'model', 'description', 'status']);
  const editValue = (path: string, fallback: unknown) => (path in draft ? draft[path] : fallback === null || fallback === undefined ? '' : String(fallback));

  const save = async () => {
    const body: Record<string, unknown> = {};
    for (const [path, value] of Object.entries(draft)) if (!path.startsWith('variations[')) body[path] = value;
    const varEdits = Object.keys(draft).filter((p) => p.startsWith('variations['));
    if (varEdits.length) {
      const next = variations.map((v) => {
        const sku = String(v.sku ?? '');
        const out = { ...v };
        const price = draft[`variations[${sku}].prices`];
        const stock = draft[`variations[${sku}].availabilities`];
        if (price !== undefined) {
          const prices = (Array.isArray(v.prices) ? v.prices : []) as Array<{ tag: string; currency: string; amount: number }>;
          out.prices = prices.length ? prices.map((p, i) => (i === 0 ? { ...p, amount: Number(price) } : p)) : [{ tag: 'default', currency: 'USD', amount: Number(price) }];
        }
        if (stock !== undefined) {
          const avail = (Array.isArray(v.availabilities) ? v.availabilities : []) as Array<{ tag: string; quantity: number }>;
          out.availabilities = avail.length ? avail.map((a, i) => (i === 0 ? { ...a, quantity: Number(stock) } : a)) : [{ tag: 'default', quantity: Number(stock) }];
        }
        return out;
      });
      for (const p of varEdits) {
        if (!Number.isFinite(Number(draft[p])) || draft[p].trim() === '') { setFieldError({ field: p, message: 'Enter a number.' }); return; }
      }
      body.variations = next;
    }
    if (Object.keys(body).length === 0) { onDone(false); return; }
    setBusy(true);
    setFieldError(null);
    try {
      await api('PATCH', `/api/products/${rec.id}`, body);
      toast('success', 'Saved', 'The change is planned on every connection that writes these fields.');
      onDone(true);
    } catch (err) {
      if (err instanceof ApiError && err.missing) toast('error', 'This hub cannot edit records yet', 'It has no PATCH /api/products/:id; update the hub.');
      else if (err instanceof ApiError) setFieldError({ field: err.field, message: err.message });
      else toast('error', 'Could not save', String(err));
    } finally {
      setBusy(false);
    }
  };

  const hubCell = (path: string, key: string, field: string, value: unknown, variation?: Record<string, unknown>) => {
    if (editing && !variation && editable.has(key)) {
      return (
        <td className="cell-hub editing">
          {key === 'description' ? (
            <textarea aria-label={`Hub ${key}`} rows={3} value={editValue(path, value)} onChange={(e) => setDraft({ ...draft, [path]: e.target.value })} />
          ) : key === 'status' ? (
            <select aria-label="Hub status" value={editValue(path, value)} onChange={(e) => setDraft({ ...draft, [path]: e.target.value })}>
              <option value="published">published</option><option value="unpublished">unpublished</option>
            </select>
          ) : (
            <input aria-label={`Hub ${key}`} value={editValue(path, value)} onChange={(e) => setDraft({ ...draft, [path]: e.target.value })} />
          )}
        </td>
      );
    }
    if (editing && variation && (key === 'prices' || key === 'availabilities')) {
      const list = (Array.isArray(value) ? value : []) as Array<{ amount?: number; quantity?: number }>;
      const first = key === 'prices' ? list[0]?.amount : list.reduce((n, a) => n + (a.quantity ?? 0), 0);
      return (
        <td className="cell-hub editing">
          <input aria-label={`Hub ${field} of ${String(variation.sku)}`} inputMode="decimal" className={fieldError?.field === path ? 'invalid' : ''}
            value={editValue(path, first)} onChange={(e) => setDraft({ ...draft, [path]: e.target.value })} />
        </td>
      );
    }
    return <td className="cell-hub"><Value v={value} field={field} /></td>;
  };

  return (
    <section className="card compare-card" aria-label="The hub record beside each connection">
      {editing && (
        <div className="edit-bar">
          <span><Icon name="edit" size={14} />Editing the hub record. Saving plans the change on every connection that writes the field.</span>
          <span className="edit-actions">
            <button type="button" className="btn btn-sm" onClick={() => onDone(false)}>Cancel</button>
            <button type="button" className="btn btn-sm btn-primary" onClick={save} disabled={busy}>{busy ? 'Saving…' : 'Save changes'}</button>
          </span>
        </div>
      )}
      {fieldError && <div className="callout callout-error" role="alert"><Icon name="error" size={16} />{fieldError.message}</div>}
      <div className="table-scroll">
        <table className="table compare">
          <thead>
            <tr>
              <th scope="col" className="col-field">Field</th>
              <th scope="col" className="col-hub"><span className="compare-head"><Icon name="database" size={14} />Hub record</span></th>
              {conns.map(({ e, c }) => {
                const k = dotKind({ status: e.status, removals: e.pending?.changes?.some((x) => x.kind === 'remove') });
                return (
                  <th scope="col" key={e.id ?? `planned-${e.connectionId}`}>
                    <span className="compare-head">
                      {c && <ConnectionAvatar c={c} size={20} />}
                      <span>{c?.name ?? 'Deleted connection'}</span>
                      <span className={`status-tag st-${k}`}>{STATUS_TEXT[k]}</span>
                    </span>
                    <span className="muted small mono block">{e.externalId ? `#${e.externalId}` : 'not created yet'}</span>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {PRODUCT_ROWS.map(([key, label]) => (
              <tr key={key}>
                <th scope="row">{label}</th>
                {hubCell(key, key, key, rec[key])}
                {cells(key, key, key)}
              </tr>
            ))}
            {variations.map((v, vi) => {
              const sku = String(v.sku ?? '');
              const caption = [v.size, v.color].filter((x) => typeof x === 'string' && x).join(' · ');
              return [
                <tr key={`vh-${vi}`} className="group-row">
                  <th colSpan={2 + conns.length} scope="colgroup">
                    <span className="mono">{sku || `Variation ${vi + 1}`}</span>{caption && <span className="muted"> — {caption}</span>}
                  </th>
                </tr>,
                ...VARIATION_ROWS.map(([key, label, field]) => {
                  const path = `variations[${sku}].${key}`;
                  const anyChange = conns.some((_, i) => maps[i].has(path));
                  const value = v[key];
                  if (!anyChange && !editing && (value === '' || (Array.isArray(value) && value.length === 0)) && (key === 'videos' || key === 'barcode')) return null;
                  return (
                    <tr key={`${vi}-${key}`}>
                      <th scope="row" className="sub">{label}</th>
                      {hubCell(path, key, field, value, v)}
                      {cells(path, key, field, sku)}
                    </tr>
                  );
                }),
              ];
            })}
          </tbody>
        </table>
      </div>
      <PendingSummary conns={conns} />
    </section>
  );
}

function Value({ v, field }: { v: unknown; field: string }) {
  if (field === 'url' && typeof v === 'string' && /^https?:\/\//.test(v)) {
    return <a href={v} target="_blank" rel="noreferrer noopener" className="ext-link">{v.replace(/^https?:\/\//, '')}<Icon name="external" size={12} /></a>;
  }
  if ((field === 'categories' || field === 'tags') && Array.isArray(v) && v.length) {
    return <span className="tag-list">{v.map((t, i) => <span key={i} className="tag tag-muted">{String(t)}</span>)}</span>;
  }
  if (field === 'description') return <span className="clamp" title={typeof v === 'string' ? v : undefined}>{show(v, field)}</span>;
  return <>{show(v, field)}</>;
}

function PendingSummary({ conns }: { conns: Conns }) {
  const rows = conns.filter(({ e }) => e.pending && (e.pending.changes?.length ?? 0) > 0);
  if (rows.length === 0) return <p className="compare-foot muted"><Icon name="checkCircle" size={14} />Every connection has the hub's version of this product.</p>;
  return (
    <ul className="compare-foot pending-list">
      {rows.map(({ e, c }) => {
        const ch = e.pending!.changes;
        const n = (k: string) => ch.filter((x) => x.kind === k).length;
        const parts = e.pending!.op === 'insert' ? ['the whole product will be created'] : [n('update') && `${n('update')} to update`, n('insert') && `${n('insert')} to add`, n('remove') && `${n('remove')} to remove`].filter(Boolean);
        return (
          <li key={e.id ?? `planned-${e.connectionId}`}>
            <strong>{c?.name ?? 'Connection'}</strong>: {parts.join(', ')}. Written on the next send{e.pending!.attempts ? ` (tried ${e.pending!.attempts}×)` : ''}.
            {e.pending!.lastError && <span className="text-danger block small">Last attempt: {e.pending!.lastError}</span>}
          </li>
        );
      })}
    </ul>
  );
}

const ORDER_ORDER = ['number', 'status', 'dateCreated', 'dateClosed', 'buyer', 'totals', 'currency', 'lines', 'shipments', 'invoice', 'shippingAddress', 'billingAddress', 'messages', 'notes'];
const ORDER_LABELS: Record<string, string> = {
  number: 'Number', status: 'Status', dateCreated: 'Placed', dateClosed: 'Closed', buyer: 'Buyer', totals: 'Totals', currency: 'Currency',
  lines: 'Lines', shipments: 'Shipments', invoice: 'Invoice', shippingAddress: 'Shipping address', billingAddress: 'Billing address', messages: 'Messages', notes: 'Notes',
};

function OrderCompare({ rec, conns }: { rec: RecordDetail; conns: Conns }) {
  const maps = conns.map(({ e }) => changeMap(e));
  const rest = Object.keys(rec).filter((k) => !ORDER_SKIP.has(k) && !ORDER_ORDER.includes(k) && k !== 'reservations');
  const keys = [...ORDER_ORDER.filter((k) => k in rec), ...rest];
  const currency = typeof rec.currency === 'string' ? rec.currency : 'USD';
  const label = (k: string) => ORDER_LABELS[k] ?? k.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());
  return (
    <section className="card compare-card" aria-label="The hub record beside each connection">
      <div className="table-scroll">
        <table className="table compare">
          <thead>
            <tr>
              <th scope="col" className="col-field">Field</th>
              <th scope="col" className="col-hub"><span className="compare-head"><Icon name="database" size={14} />Hub record</span></th>
              {conns.map(({ e, c }) => {
                const k = dotKind({ status: e.status });
                return (
                  <th scope="col" key={e.id ?? `planned-${e.connectionId}`}>
                    <span className="compare-head">{c && <ConnectionAvatar c={c} size={20} />}<span>{c?.name ?? 'Connection'}</span><span className={`status-tag st-${k}`}>{STATUS_TEXT[k]}</span></span>
                    <span className="muted small mono block">{e.externalId ? `#${e.externalId}` : 'not created yet'}</span>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k}>
                <th scope="row">{label(k)}</th>
                <td className="cell-hub"><OrderValue k={k} v={rec[k]} currency={currency} /></td>
                {conns.map(({ e }, i) => {
                  const ch = maps[i].get(k);
                  if (ch) return <ChangeCell key={e.id ?? `planned-${e.connectionId}`} change={ch} field={k} insert={e.pending?.op === 'insert'} />;
                  const v = e.acknowledged?.[k];
                  const same = v !== undefined && JSON.stringify(v) === JSON.stringify(rec[k]);
                  return <td key={e.id ?? `planned-${e.connectionId}`} className={same ? 'same' : ''}>{v === undefined ? <span className="muted">—</span> : <OrderValue k={k} v={v} currency={currency} />}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** One order field, formatted the way a merchant reads it. */
function OrderValue({ k, v, currency }: { k: string; v: unknown; currency: string }): ReactNode {
  if (v === null || v === undefined || v === '') return <span className="muted">—</span>;
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
  const m = (n: unknown) => (typeof n === 'number' ? money(n, currency) : '—');
  if (k === 'dateCreated' || k === 'dateClosed') return <>{dateTime(v)}</>;
  if (k === 'status') return <span className="tag">{String(v)}</span>;
  if (k === 'buyer') {
    const name = [o.firstName, o.lastName].filter(Boolean).join(' ') || String(o.name ?? '');
    return <span className="stack">{name && <strong>{name}</strong>}{o.email ? <span>{String(o.email)}</span> : null}{o.phone ? <span className="muted">{String(o.phone)}</span> : null}</span>;
  }
  if (k === 'totals') {
    return (
      <span className="stack">
        {(['subtotal', 'shipping', 'tax'] as const).filter((x) => typeof o[x] === 'number').map((x) => <span key={x} className="muted">{x} {m(o[x])}</span>)}
        <strong>{m(o.total)}</strong>
      </span>
    );
  }
  if (k === 'lines' && Array.isArray(v)) {
    if (v.length === 0) return <span className="muted">none</span>;
    return (
      <ul className="kv-list lines">
        {v.map((line, i) => {
          const l = line as Record<string, unknown>;
          const what = String(l.sku || l.title || (l.productId ? `product ${String(l.productId)}${l.variationId ? ` / ${String(l.variationId)}` : ''}` : 'unmatched line'));
          return (
            <li key={i}>
              <span className="mono">{Number(l.quantity ?? 0)} ×</span>{' '}
              {typeof l.productRecordId === 'string' ? <Link to={`/products/${l.productRecordId}`}>{what}</Link> : <span>{what}</span>}
              {typeof l.unitPrice === 'number' && <span className="muted"> @ {m(l.unitPrice)}</span>}
            </li>
          );
        })}
      </ul>
    );
  }
  if ((k === 'shippingAddress' || k === 'billingAddress') && typeof v === 'object') {
    const lines = [o.name, o.company, o.street, o.street2, [o.postalCode, o.city].filter(Boolean).join(' '), [o.region, o.country].filter(Boolean).join(', '), o.phone]
      .filter((x) => typeof x === 'string' && x);
    return lines.length ? <span className="stack">{lines.map((x, i) => <span key={i}>{String(x)}</span>)}</span> : <span className="muted">—</span>;
  }
  if (k === 'shipments' && Array.isArray(v)) {
    if (v.length === 0) return <span className="muted">none</span>;
    return <ul className="kv-list">{v.map((x, i) => { const s = x as Record<string, unknown>; return <li key={i}>{[s.carrier, s.trackingNumber].filter(Boolean).map(String).join(' · ') || 'shipment'}{typeof s.labelUrl === 'string' && /^https?:/.test(s.labelUrl) ? <> · <a href={s.labelUrl} target="_blank" rel="noreferrer noopener">label</a></> : null}</li>; })}</ul>;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return <span className="muted">none</span>;
    return <ul className="kv-list">{v.map((x, i) => <li key={i}>{x && typeof x === 'object' ? Object.entries(x as object).filter(([, y]) => y !== null && y !== '' && typeof y !== 'object').map(([a, b]) => `${a}: ${String(b)}`).join(' · ') : String(x)}</li>)}</ul>;
  }
  if (typeof v === 'object') {
    const entries = Object.entries(o).filter(([, y]) => y !== null && y !== '');
    if (entries.length === 0) return <span className="muted">—</span>;
    return <ul className="kv-list">{entries.map(([a, b]) => <li key={a}><span className="muted">{a}</span> {show(b)}</li>)}</ul>;
  }
  return <>{show(v)}</>;
}

export function SeverityIcon({ severity }: { severity: string }) {
  return <span className={`sev sev-${severity}`}><Icon name={severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'info'} size={16} label={severity} /></span>;
}

function IssueList({ issues, connections, recordId, onChanged }: { issues: Issue[]; connections: Connection[]; recordId: string; onChanged: () => void }) {
  if (issues.length === 0) {
    return <div className="card empty-inline"><Icon name="checkCircle" size={18} /><span>No open issues on this record.</span></div>;
  }
  return (
    <ul className="card issue-list">
      {issues.map((i) => (
        <li key={i.id} className={`issue issue-${i.severity}`}>
          <SeverityIcon severity={i.severity} />
          <div className="issue-body">
            <p className="issue-msg">{i.message}</p>
            <p className="muted small"><span className="mono">{i.code}</span> · {connections.find((c) => c.id === i.connectionId)?.name ?? 'hub'} · {ago(i.createdAt)}</p>
            {(i.code === 'create_uncertain' || i.code === 'create_uncertain_match') && i.connectionId && (
              <UncertainCreate issue={i} recordId={recordId} connectionId={i.connectionId} onChanged={onChanged} />
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}

/** A create held back because its answer was lost and nothing identifies the product there: a person says whether it landed. */
function UncertainCreate({ issue, recordId, connectionId, onChanged }: { issue: Issue; recordId: string; connectionId: string; onChanged: () => void }) {
  const suggested = (issue as Issue & { details?: { externalId?: string } }).details?.externalId ?? '';
  const [externalId, setExternalId] = useState(suggested);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const answer = async (resolution: 'create' | 'bind') => {
    setBusy(true);
    try {
      await api('POST', `/api/products/${recordId}/uncertain-create`, { connectionId, resolution, ...(resolution === 'bind' ? { externalId } : {}) });
      setError(null);
      toast('success', resolution === 'bind' ? `Bound to listing ${externalId}` : 'It will be created at the next send');
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="uncertain-actions" role="group" aria-label="Answer for the held create">
      <label>
        <span className="small">Listing id there</span>
        <input className="mono" value={externalId} onChange={(e) => { setExternalId(e.target.value); setError(null); }} placeholder="e.g. 1000123" />
      </label>
      <button type="button" className="btn" disabled={busy || externalId.trim() === ''} onClick={() => void answer('bind')}>It is there: bind it</button>
      {issue.code === 'create_uncertain' && (
        <button type="button" className="btn" disabled={busy} onClick={() => void answer('create')}>It is not there: create it</button>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
    </div>
  );
}

interface HoldLedger {
  open: Record<string, number>;
  entries: Array<{
    orderId: string; orderNumber: string | null; variation: string; quantity: number; sourceConnectionId: string | null; createdAt: string;
    landedConnectionId: string | null; releasedAt: string | null; releaseReason: string | null; state: 'open' | 'released';
  }>;
}

const RELEASE_TEXT: Record<string, string> = {
  stock_reported: 'counted by a stock reading',
  expired: 'expired: nothing would count it',
  'order cancelled': 'order cancelled',
  'order refunded': 'order refunded',
};

/** Why a marketplace shows less than the hub: the orders holding this product's stock, and the holds that ended lately. */
function HeldStock({ ledger, connections }: { ledger: HoldLedger | undefined; connections: Connection[] }) {
  if (!ledger || ledger.entries.length === 0) return null;
  const open = ledger.entries.filter((e) => e.state === 'open');
  const ended = ledger.entries.filter((e) => e.state !== 'open').slice(0, 5);
  const name = (id: string | null) => connections.find((c) => c.id === id)?.name ?? '—';
  const units = Object.values(ledger.open).reduce((n, q) => n + q, 0);
  return (
    <section className="card held-card" aria-label="Stock held by orders">
      <h2>Held by orders{units > 0 && <span className="tab-count">{units}</span>}</h2>
      <p className="muted small">
        {units > 0
          ? `${units} unit${units === 1 ? ' is' : 's are'} kept off the stock the connections are offered until the stock the hub reads counts these sales.`
          : 'Nothing is held now.'}
      </p>
      <table className="table">
        <thead><tr><th>Order</th><th>Variation</th><th>Units</th><th>From</th><th>Since</th><th>State</th></tr></thead>
        <tbody>
          {[...open, ...ended].map((e) => (
            <tr key={`${e.orderId}|${e.variation}`}>
              <td><Link to={`/orders/${e.orderId}`}>{e.orderNumber ?? e.orderId.slice(0, 8)}</Link></td>
              <td className="mono">{e.variation}</td>
              <td>{e.quantity}</td>
              <td>{name(e.sourceConnectionId)}</td>
              <td>{dateTime(e.createdAt)}</td>
              <td>{e.state === 'open'
                ? <span className="tag">{e.landedConnectionId ? `held until ${name(e.landedConnectionId)} reads its stock` : 'held'}</span>
                : <span className="tag tag-muted">ended {ago(e.releasedAt ?? e.createdAt)}: {RELEASE_TEXT[e.releaseReason ?? ''] ?? e.releaseReason}</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function HistoryList({ history }: { history: HistoryEntry[] | null | 'missing' }) {
  if (history === null) return <div className="card empty-inline"><span className="spinner small" />Loading history…</div>;
  if (history === 'missing') return <div className="card empty-inline"><Icon name="info" size={18} /><span>This hub does not keep record history yet.</span></div>;
  if (history.length === 0) return <div className="card empty-inline"><Icon name="clock" size={18} /><span>No changes recorded yet.</span></div>;
  return (
    <ol className="card timeline" aria-label="History">
      {history.map((h, i) => (
        <li key={i}>
          <span className="tl-dot" aria-hidden="true" />
          <div>
            <p><strong>{h.field || 'record'}</strong> changed by <strong>{h.source}</strong></p>
            <p className="tl-change"><span className="ch-old">{show(h.old, h.field.replace(/^.*\./, ''))}</span><Icon name="arrowRight" size={12} /><span className="ch-new">{show(h.new, h.field.replace(/^.*\./, ''))}</span></p>
            <p className="muted small">{dateTime(h.at)}</p>
          </div>
        </li>
      ))}
    </ol>
  );
}
