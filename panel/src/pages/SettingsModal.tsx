import { useState } from 'react';
import { api, ApiError, type Connection, type FieldMode, type Settings } from '../api';
import { hubStore } from '../store';
import { Confirm, Modal } from '../ui/Modal';
import { CopyButton, Field, Switch, Tabs } from '../ui/Form';
import { Icon } from '../ui/Icon';
import { toast } from '../ui/Toast';
import { dateTime, money } from '../format';
import { generateKey } from './AddConnection';
import { ConnectionAvatar, kindLabel } from './Connections';
import { MappingGroupsTab } from './MappingGroupsTab';

const PRODUCT_FIELDS: Array<[string, string]> = [
  ['title', 'Title'], ['description', 'Description'], ['brand', 'Brand'], ['mpn', 'MPN'], ['model', 'Model'], ['url', 'URL'],
  ['tags', 'Tags'], ['categories', 'Categories'], ['status', 'Status (publish / order)'], ['deliveryDays', 'Delivery time'],
];
const ORDER_FIELDS: Array<[string, string]> = [['shipments', 'Shipments and tracking'], ['invoice', 'Invoice'], ['messages', 'Messages'], ['notes', 'Notes']];

interface Thresholds { lowStock: number; lowPrice: number; badPrice: number; massDeleteShare: number }
const VARIATION_FIELDS: Array<[string, string]> = [
  ['price', 'Price'], ['stock', 'Stock'], ['barcode', 'Barcode'], ['size', 'Size'], ['color', 'Color'], ['images', 'Images'], ['videos', 'Videos'],
];

type Tab = 'general' | 'fields' | 'absorb' | 'rules' | 'listing' | 'groups' | 'schedule' | 'clocks';

/** The listing rules the form edits (engine/mapping/schema.ts); mapping groups have their own tab (MappingGroupsTab). */
interface ListingRules {
  defaultCategory?: string; requireCategory?: boolean; deliveryDays?: number;
  currency?: { code?: string; priceListTag?: string };
  publish?: { newRecords?: 'published' | 'unpublished'; unpublishAtZeroStock?: boolean };
  matching?: { by?: 'sku' | 'barcode' | 'sku_or_barcode'; lookupBeforeCreate?: boolean };
  categoryMap?: unknown[]; groups?: unknown[]; attributes?: unknown;
}
/** Listing rules edited as JSON: the category table and the platform's categories, attribute sources, order defaults. */
const ADVANCED_KEYS = ['platformCategories', 'categoryMap', 'attributes', 'orderDefaults'] as const;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const advancedOf = (settings: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(ADVANCED_KEYS.filter((k) => settings[k] !== undefined).map((k) => [k, settings[k]]));
/**
 * The settings patch that makes `old` into `next`: a PATCH merges objects, so a key that is
 * gone from `next` is sent as null, which removes it.
 */
function replacePatch(old: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next)) out[k] = isObject(v) && isObject(old[k]) ? replacePatch(old[k] as Record<string, unknown>, v) : v;
  for (const k of Object.keys(old)) if (!(k in next)) out[k] = null;
  return out;
}

/** Where the hub names a listing rule in a 400 (its field path). */
const LISTING_KEYS = ['defaultCategory', 'requireCategory', 'deliveryDays', 'currency', 'publish', 'matching', 'categoryMap', 'groups', 'attributes', 'platformCategories', 'orderDefaults'];

type ScheduleName = 'orders' | 'stock' | 'catalog';
interface ScheduleEntry { enabled: boolean; every: string | null; cron: string | null; quietHoursOnly: boolean }
interface ScheduleSettings {
  enabled: boolean; timezone: string; quietHours: { from: string; to: string } | null;
  orders: ScheduleEntry; stock: ScheduleEntry; catalog: ScheduleEntry;
}
/** The hub's scheduled jobs (model/schedule.ts), as a merchant knows them. */
const SCHEDULE_JOBS: Array<[ScheduleName, string, string]> = [
  ['orders', 'Orders', 'Fetches new orders and their updates, forwards them and sends fulfilment.'],
  ['stock', 'Stock and prices', 'Fetches what changed in the catalog and sends pending changes.'],
  ['catalog', 'Full catalog', 'Rescans the whole catalog, which also notices products gone. The heavy one.'],
];

/** What the price rule does to a price, as the hub computes it (engine/rules.ts). */
export function applyPriceRule(amount: number, rule: Settings['price']): number {
  const raw = amount * (1 + rule.marginPercent / 100) + rule.add;
  if (rule.round === 'integer') return Math.round(raw);
  if (rule.round === 'cents99') return raw <= 0 ? 0 : Math.floor(raw) + 0.99;
  return Math.round(raw * 100) / 100;
}

/** The settings window: per-field detect/write, absorb, price and stock rules, listing rules, mapping groups, schedule, key and clocks. */
export function SettingsModal({ c, onClose }: { c: Connection; onClose: () => void }) {
  const [tab, setTab] = useState<Tab>('general');
  const [groupsOpened, setGroupsOpened] = useState(false);
  if (tab === 'groups' && !groupsOpened) setGroupsOpened(true);
  // Order fields and thresholds only where this hub's settings have them (its settings schema is strict).
  const known = c.settings.fields ?? {};
  const thresholdsNow = c.settings.thresholds as Thresholds | undefined;
  const orderFields = thresholdsNow || ORDER_FIELDS.some(([f]) => f in known) ? ORDER_FIELDS : [];
  const [thresholds, setThresholds] = useState(() => thresholdsNow ? {
    lowStock: String(thresholdsNow.lowStock), lowPrice: String(thresholdsNow.lowPrice), badPrice: String(thresholdsNow.badPrice),
    massDeleteShare: String(Math.round(thresholdsNow.massDeleteShare * 100)),
  } : null);
  const [name, setName] = useState(c.name);
  const [config, setConfig] = useState<Record<string, unknown>>({ ...c.config });
  const [fields, setFields] = useState<Record<string, FieldMode>>(() => {
    const out: Record<string, FieldMode> = {};
    for (const [f] of [...PRODUCT_FIELDS, ...VARIATION_FIELDS, ...orderFields]) out[f] = { detect: c.settings.fields?.[f]?.detect ?? true, write: c.settings.fields?.[f]?.write ?? true };
    return out;
  });
  const [absorb, setAbsorb] = useState({ ...c.settings.absorb });
  const [price, setPrice] = useState({ marginPercent: String(c.settings.price.marginPercent), add: String(c.settings.price.add), round: c.settings.price.round });
  const [stock, setStock] = useState({ buffer: String(c.settings.stock.buffer), max: c.settings.stock.max === null ? '' : String(c.settings.stock.max) });
  const rulesNow = c.settings as ListingRules;
  const listingFrom = (r: ListingRules) => ({
    defaultCategory: r.defaultCategory ?? '',
    requireCategory: r.requireCategory ?? false,
    deliveryDays: r.deliveryDays === undefined ? '' : String(r.deliveryDays),
    currencyCode: r.currency?.code ?? '',
    priceListTag: r.currency?.priceListTag ?? '',
    newRecords: r.publish?.newRecords ?? 'hub',
    unpublishAtZeroStock: r.publish?.unpublishAtZeroStock ?? false,
    matchBy: r.matching?.by ?? 'sku',
    lookupBeforeCreate: r.matching?.lookupBeforeCreate ?? false,
  });
  const [listing, setListing] = useState(() => listingFrom(rulesNow));
  const advancedText = (settings: Record<string, unknown>) => {
    const a = advancedOf(settings);
    return Object.keys(a).length === 0 ? '{}' : JSON.stringify(a, null, 2);
  };
  const [advanced, setAdvanced] = useState(() => advancedText(c.settings));
  // The schedule tab only where this hub's settings have a schedule (its settings schema is strict).
  const scheduleNow = c.settings.schedule as ScheduleSettings | undefined;
  const [schedule, setSchedule] = useState(() => scheduleNow ? {
    enabled: scheduleNow.enabled,
    timezone: scheduleNow.timezone,
    quiet: scheduleNow.quietHours !== null,
    from: scheduleNow.quietHours?.from ?? '01:00',
    to: scheduleNow.quietHours?.to ?? '05:00',
    jobs: Object.fromEntries(SCHEDULE_JOBS.map(([n]) => [n, {
      enabled: scheduleNow[n].enabled, every: scheduleNow[n].every ?? '', cron: scheduleNow[n].cron ?? '', quietHoursOnly: scheduleNow[n].quietHoursOnly,
    }])) as Record<ScheduleName, { enabled: boolean; every: string; cron: string; quietHoursOnly: boolean }>,
  } : null);
  const setJob = (n: ScheduleName, patch: Partial<{ enabled: boolean; every: string; cron: string; quietHoursOnly: boolean }>) => {
    if (schedule) setSchedule({ ...schedule, jobs: { ...schedule.jobs, [n]: { ...schedule.jobs[n], ...patch } } });
  };
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmReset, setConfirmReset] = useState(false);
  /** A mapping group form with unsaved changes (Groups tab), and what to do once the user agrees to drop it. */
  const [groupDraft, setGroupDraft] = useState(false);
  const [leaving, setLeaving] = useState<(() => void) | null>(null);
  const leave = () => (groupDraft ? setLeaving(() => onClose) : onClose());
  const [newKey, setNewKey] = useState(false);

  const err = (f: string) => (error?.field === f ? error.message : undefined);
  /** A field's error, cleared as soon as the field is edited: an old error must not sit under a corrected value. */
  const at = (f: string) => ({ error: err(f), onEdit: () => setError((e) => (e?.field === f ? null : e)) });

  const save = async () => {
    setError(null);
    const num = (v: string, field: string, int: boolean): number | null => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || (int && !Number.isInteger(n))) {
        setError({ field, message: `${int ? 'A whole number' : 'A number'} is needed here.` });
        setTab('rules');
        return null;
      }
      return n;
    };
    const marginPercent = num(price.marginPercent, 'settings.price.marginPercent', false);
    const add = num(price.add, 'settings.price.add', false);
    const buffer = num(stock.buffer, 'settings.stock.buffer', true);
    const max = stock.max.trim() === '' ? null : num(stock.max, 'settings.stock.max', true);
    if (marginPercent === null || add === null || buffer === null || (stock.max.trim() !== '' && max === null)) return;
    let thresholdPatch: Thresholds | undefined;
    if (thresholds) {
      const lowStock = num(thresholds.lowStock, 'settings.thresholds.lowStock', false);
      const lowPrice = num(thresholds.lowPrice, 'settings.thresholds.lowPrice', false);
      const badPrice = num(thresholds.badPrice, 'settings.thresholds.badPrice', false);
      const share = num(thresholds.massDeleteShare, 'settings.thresholds.massDeleteShare', false);
      if (lowStock === null || lowPrice === null || badPrice === null || share === null) return;
      thresholdPatch = { lowStock, lowPrice, badPrice, massDeleteShare: share / 100 };
    }

    const fieldPatch: Record<string, FieldMode> = {};
    for (const [f, m] of Object.entries(fields)) {
      const was = { detect: c.settings.fields?.[f]?.detect ?? true, write: c.settings.fields?.[f]?.write ?? true };
      if (was.detect !== m.detect || was.write !== m.write || c.settings.fields?.[f]) fieldPatch[f] = m;
    }
    // Only changed configuration is sent: masked secrets stay as they are.
    const configPatch: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) if (v !== c.config[k]) configPatch[k] = v;
    // Listing rules: only what changed is sent; an emptied rule is sent as null, which removes it.
    const listingPatch: Record<string, unknown> = {};
    const was = listingFrom(rulesNow);
    const text = (v: string) => (v.trim() === '' ? null : v.trim());
    if (listing.defaultCategory !== was.defaultCategory) listingPatch.defaultCategory = text(listing.defaultCategory);
    if (listing.requireCategory !== was.requireCategory) listingPatch.requireCategory = listing.requireCategory;
    if (listing.deliveryDays !== was.deliveryDays) {
      if (listing.deliveryDays.trim() === '') listingPatch.deliveryDays = null;
      else {
        const days = num(listing.deliveryDays, 'settings.deliveryDays', true);
        if (days === null) { setTab('listing'); return; }
        listingPatch.deliveryDays = days;
      }
    }
    if (listing.currencyCode !== was.currencyCode || listing.priceListTag !== was.priceListTag) {
      listingPatch.currency = {
        ...(listing.currencyCode !== was.currencyCode ? { code: text(listing.currencyCode.toUpperCase()) } : {}),
        ...(listing.priceListTag !== was.priceListTag ? { priceListTag: text(listing.priceListTag) } : {}),
      };
    }
    if (listing.newRecords !== was.newRecords || listing.unpublishAtZeroStock !== was.unpublishAtZeroStock) {
      listingPatch.publish = {
        ...(listing.newRecords !== was.newRecords ? { newRecords: listing.newRecords === 'hub' ? null : listing.newRecords } : {}),
        ...(listing.unpublishAtZeroStock !== was.unpublishAtZeroStock ? { unpublishAtZeroStock: listing.unpublishAtZeroStock } : {}),
      };
    }
    if (listing.matchBy !== was.matchBy || listing.lookupBeforeCreate !== was.lookupBeforeCreate) {
      listingPatch.matching = { by: listing.matchBy, lookupBeforeCreate: listing.lookupBeforeCreate };
    }
    if (advanced !== advancedText(c.settings)) {
      const wrong = (message: string) => { setError({ field: 'settings.advanced', message }); setTab('listing'); };
      let next: unknown;
      try {
        next = JSON.parse(advanced.trim() === '' ? '{}' : advanced);
      } catch (e) {
        wrong(`Not JSON: ${(e as Error).message}`);
        return;
      }
      if (!isObject(next)) { wrong('An object is needed here, such as { "categoryMap": [] }.'); return; }
      const stray = Object.keys(next).find((k) => !(ADVANCED_KEYS as readonly string[]).includes(k));
      if (stray) { wrong(`"${stray}" is not set here: only ${ADVANCED_KEYS.join(', ')}.`); return; }
      Object.assign(listingPatch, replacePatch(advancedOf(c.settings), next));
    }
    // The hub checks intervals, cron expressions and the time zone, and names what is wrong.
    const schedulePatch: ScheduleSettings | undefined = schedule ? {
      enabled: schedule.enabled,
      timezone: schedule.timezone.trim(),
      quietHours: schedule.quiet ? { from: schedule.from, to: schedule.to } : null,
      ...Object.fromEntries(SCHEDULE_JOBS.map(([n]) => {
        const j = schedule.jobs[n];
        return [n, { enabled: j.enabled, every: j.every.trim() || null, cron: j.cron.trim() || null, quietHoursOnly: j.quietHoursOnly }];
      })) as Record<ScheduleName, ScheduleEntry>,
    } : undefined;
    const body: Record<string, unknown> = {
      settings: {
        absorb, fields: fieldPatch, price: { marginPercent, add, round: price.round }, stock: { buffer, max },
        ...(thresholdPatch ? { thresholds: thresholdPatch } : {}), ...(schedulePatch ? { schedule: schedulePatch } : {}), ...listingPatch,
      },
    };
    if (name.trim() !== c.name) body.name = name.trim();
    if (Object.keys(configPatch).length) body.config = configPatch;
    setBusy(true);
    try {
      const next = await api<Connection>('PATCH', `/api/connections/${c.id}`, body);
      hubStore.replaceConnection(next);
      toast('success', `${next.name} saved`, 'Pending changes are being recomputed with the new settings.');
      leave();
    } catch (e) {
      if (e instanceof ApiError) {
        setError({ message: e.message, field: e.field });
        if (e.field?.startsWith('config') || e.field === 'name') setTab('general');
        else if (e.field?.startsWith('settings.fields')) setTab('fields');
        else if (e.field?.startsWith('settings.price') || e.field?.startsWith('settings.stock') || e.field?.startsWith('settings.thresholds')) setTab('rules');
        else if (e.field?.startsWith('settings.schedule')) setTab('schedule');
        else if (LISTING_KEYS.some((k) => e.field?.startsWith(`settings.${k}`))) setTab('listing');
      } else setError({ message: String(e) });
    } finally {
      setBusy(false);
    }
  };

  const resetClocks = async () => {
    setBusy(true);
    try {
      await api('POST', `/api/connections/${c.id}/clocks/reset`, {});
      await hubStore.reloadConnection(c.id);
      toast('success', `Clocks of ${c.name} reset`, 'The next fetch rescans everything from the start.');
      setConfirmReset(false);
    } catch (e) {
      if (e instanceof ApiError && e.missing) toast('error', 'This hub cannot reset clocks yet', 'It has no POST /api/connections/:id/clocks/reset; update the hub.');
      else toast('error', 'Could not reset the clocks', (e as Error).message);
      setConfirmReset(false);
    } finally {
      setBusy(false);
    }
  };

  const setAll = (col: 'detect' | 'write', value: boolean) => {
    const out: Record<string, FieldMode> = {};
    for (const [f, m] of Object.entries(fields)) out[f] = { ...m, [col]: value };
    setFields(out);
  };

  const example = 100;
  const rule = { marginPercent: Number(price.marginPercent) || 0, add: Number(price.add) || 0, round: price.round };
  const isCustom = c.kind === 'custom';
  const clocks = Object.entries(c.clocks ?? {});
  const generalError = error && (!error.field || error.field === 'name' || error.field.startsWith('config')) ? error : null;
  // The JSON rules' own errors and the hub's about what they hold (settings.categoryMap.3.to...) show under them.
  const advancedError = error?.field && (error.field === 'settings.advanced' || ADVANCED_KEYS.some((k) => error.field!.startsWith(`settings.${k}`)))
    ? error.message : undefined;

  return (
    <>
      <Modal title={`Settings of ${c.name}`} subtitle={kindLabel(c.kind)} icon={<ConnectionAvatar c={c} size={36} />} onClose={leave} size="lg"
        footer={<>
          <button type="button" className="btn" onClick={leave}>Cancel</button>
          <button type="button" className="btn btn-primary" onClick={save} disabled={busy}>{busy ? 'Saving…' : 'Save settings'}</button>
        </>}>
        <Tabs label="Settings sections" value={tab} onChange={setTab} tabs={[
          ['general', 'General'], ['fields', 'Fields'], ['absorb', 'Absorb'], ['rules', 'Price & stock'], ['listing', 'Listing'], ['groups', 'Groups'],
          ...(schedule ? [['schedule', 'Schedule'] as [Tab, string]] : []), ['clocks', 'Clocks'],
        ]} />
        <div className="tab-panel" role="tabpanel">
          {error && !err(error.field ?? '') && !generalError && !advancedError && <div className="callout callout-error" role="alert"><Icon name="error" size={16} />{error.message}</div>}

          {tab === 'general' && (
            <div className="form">
              {generalError && !['name', 'config.productsUrl', 'config.ordersUrl', 'config.key'].includes(generalError.field ?? '') && (
                <div className="callout callout-error" role="alert"><Icon name="error" size={16} />{generalError.message}</div>
              )}
              <Field label="Name" {...at('name')}>{(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
              {isCustom && (
                <>
                  <Field label="Products URL" {...at('config.productsUrl')}>
                    {(p) => <input {...p} type="url" value={String(config.productsUrl ?? '')} onChange={(e) => setConfig({ ...config, productsUrl: e.target.value })} spellCheck={false} />}
                  </Field>
                  <Field label="Orders URL" {...at('config.ordersUrl')}>
                    {(p) => <input {...p} type="url" value={String(config.ordersUrl ?? '')} onChange={(e) => setConfig({ ...config, ordersUrl: e.target.value })} spellCheck={false} />}
                  </Field>
                  <Field label="Connection key" {...at('config.key')}
                    help={newKey ? 'New key: paste it into the storefront before the next job, or the store will be refused.' : 'The storefront sends this key back with every answer. Generate a new one to re-authenticate.'}>
                    {(p) => (
                      <div className="input-group">
                        <input {...p} className="mono" value={String(config.key ?? '')} onChange={(e) => setConfig({ ...config, key: e.target.value })} spellCheck={false} />
                        <CopyButton value={String(config.key ?? '')} label="Copy key" />
                        <button type="button" className="btn" onClick={() => { setConfig({ ...config, key: generateKey() }); setNewKey(true); at('config.key').onEdit(); }}><Icon name="key" size={16} />New key</button>
                      </div>
                    )}
                  </Field>
                </>
              )}
              {!isCustom && (
                <dl className="kv">
                  {Object.entries(c.config).map(([k, v]) => <div key={k}><dt>{k}</dt><dd className="mono">{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd></div>)}
                </dl>
              )}
            </div>
          )}

          {tab === 'fields' && (
            <div>
              <p className="muted small intro">
                <strong>Detect</strong>: changes made on {c.name} flow into the hub. <strong>Write</strong>: the hub writes this field to {c.name}. Turn both off to ignore a field here.
              </p>
              <div className="table-scroll">
                <table className="table fields-table">
                  <thead>
                    <tr>
                      <th scope="col">Field</th>
                      <th scope="col" className="center">Detect <button type="button" className="link-btn small" onClick={() => setAll('detect', !Object.values(fields).every((m) => m.detect))}>all</button></th>
                      <th scope="col" className="center">Write <button type="button" className="link-btn small" onClick={() => setAll('write', !Object.values(fields).every((m) => m.write))}>all</button></th>
                      <th scope="col" className="hide-xs">Mode</th>
                    </tr>
                  </thead>
                  <tbody>
                    {([['Product', PRODUCT_FIELDS], ['Variations', VARIATION_FIELDS], ['Sales orders', orderFields]] as const).filter(([, list]) => list.length > 0).map(([group, list]) => [
                      <tr key={group} className="group-row"><th colSpan={4} scope="colgroup">{group}</th></tr>,
                      ...list.map(([f, label]) => {
                        const m = fields[f];
                        const mode = m.detect && m.write ? 'Read and write' : m.detect ? 'Read only' : m.write ? 'Write only' : 'Ignored';
                        return (
                          <tr key={f}>
                            <th scope="row">{label}</th>
                            <td className="center"><input type="checkbox" className="switch" role="switch" checked={m.detect} aria-label={`Detect ${label} changes`}
                              onChange={(e) => setFields({ ...fields, [f]: { ...m, detect: e.target.checked } })} /></td>
                            <td className="center"><input type="checkbox" className="switch" role="switch" checked={m.write} aria-label={`Write ${label}`}
                              onChange={(e) => setFields({ ...fields, [f]: { ...m, write: e.target.checked } })} /></td>
                            <td className="hide-xs"><span className={`tag ${mode === 'Read and write' ? 'tag-ok' : mode === 'Ignored' ? 'tag-muted' : 'tag-warn'}`}>{mode}</span></td>
                          </tr>
                        );
                      }),
                    ])}
                  </tbody>
                </table>
              </div>
            </div>
          )}

          {tab === 'absorb' && (
            <div className="form">
              <p className="muted small intro">Absorbing clones records first seen on your other connections into {c.name}. Nothing is written until you send.</p>
              <Switch checked={absorb.products} onChange={(v) => setAbsorb({ ...absorb, products: v })} label="Absorb new products"
                help={`Products found on other connections are planned as creations on ${c.name} (green).`} />
              <Switch checked={absorb.orders} onChange={(v) => setAbsorb({ ...absorb, orders: v })} label="Absorb new sales orders"
                help="For the connection that fulfils orders: marketplace orders are forwarded to it." />
            </div>
          )}

          {tab === 'rules' && (
            <div className="form rules">
              <fieldset className="fieldset">
                <legend>Price rule</legend>
                <div className="form-row">
                  <Field label="Margin" {...at('settings.price.marginPercent')}>
                    {(p) => <div className="input-suffix"><input {...p} inputMode="decimal" value={price.marginPercent} onChange={(e) => setPrice({ ...price, marginPercent: e.target.value })} /><span>%</span></div>}
                  </Field>
                  <Field label="Fixed add" {...at('settings.price.add')}>
                    {(p) => <input {...p} inputMode="decimal" value={price.add} onChange={(e) => setPrice({ ...price, add: e.target.value })} />}
                  </Field>
                  <Field label="Rounding" {...at('settings.price.round')}>
                    {(p) => (
                      <select {...p} value={price.round} onChange={(e) => setPrice({ ...price, round: e.target.value as Settings['price']['round'] })}>
                        <option value="none">To the cent</option>
                        <option value="cents99">Ending in .99</option>
                        <option value="integer">Whole amounts</option>
                      </select>
                    )}
                  </Field>
                </div>
                <p className="preview"><Icon name="info" size={14} />A hub price of <strong>{money(example, 'USD')}</strong> shows on {c.name} as <strong>{money(applyPriceRule(example, rule), 'USD')}</strong>.</p>
              </fieldset>
              <fieldset className="fieldset">
                <legend>Stock rule</legend>
                <div className="form-row">
                  <Field label="Safety buffer" help="Units held back from this platform." {...at('settings.stock.buffer')}>
                    {(p) => <input {...p} inputMode="numeric" value={stock.buffer} onChange={(e) => setStock({ ...stock, buffer: e.target.value })} />}
                  </Field>
                  <Field label="Show at most" help="Leave empty for no maximum." {...at('settings.stock.max')}>
                    {(p) => <input {...p} inputMode="numeric" value={stock.max} placeholder="No maximum" onChange={(e) => setStock({ ...stock, max: e.target.value })} />}
                  </Field>
                </div>
                <p className="preview"><Icon name="info" size={14} />With 25 in stock, {c.name} shows <strong>{Math.min(Math.max(0, 25 - (Number(stock.buffer) || 0)), stock.max.trim() === '' ? Infinity : Number(stock.max) || 0)}</strong>.</p>
              </fieldset>
              {thresholds && (
                <fieldset className="fieldset">
                  <legend>Thresholds</legend>
                  <div className="form-row">
                    <Field label="Low stock at or below" {...at('settings.thresholds.lowStock')}>
                      {(p) => <input {...p} inputMode="numeric" value={thresholds.lowStock} onChange={(e) => setThresholds({ ...thresholds, lowStock: e.target.value })} />}
                    </Field>
                    <Field label="Low price below" {...at('settings.thresholds.lowPrice')}>
                      {(p) => <input {...p} inputMode="decimal" value={thresholds.lowPrice} onChange={(e) => setThresholds({ ...thresholds, lowPrice: e.target.value })} />}
                    </Field>
                    <Field label="Bad price at or below" {...at('settings.thresholds.badPrice')}>
                      {(p) => <input {...p} inputMode="decimal" value={thresholds.badPrice} onChange={(e) => setThresholds({ ...thresholds, badPrice: e.target.value })} />}
                    </Field>
                    <Field label="Mass-delete guard" help="A rescan that would mark more than this share gone marks nothing." {...at('settings.thresholds.massDeleteShare')}>
                      {(p) => <div className="input-suffix"><input {...p} inputMode="numeric" value={thresholds.massDeleteShare} onChange={(e) => setThresholds({ ...thresholds, massDeleteShare: e.target.value })} /><span>%</span></div>}
                    </Field>
                  </div>
                </fieldset>
              )}
            </div>
          )}

          {tab === 'listing' && (
            <div className="form">
              <p className="muted small intro">How products are listed on {c.name}. Mapping groups are on the Groups tab.</p>
              <fieldset className="fieldset">
                <legend>Category and delivery</legend>
                <div className="form-row">
                  <Field label="Default category" help="For products no category rule maps. Empty: none." {...at('settings.defaultCategory')}>
                    {(p) => <input {...p} value={listing.defaultCategory} onChange={(e) => setListing({ ...listing, defaultCategory: e.target.value })} />}
                  </Field>
                  <Field label="Delivery days" help="Sent for products that have none. Empty: none." {...at('settings.deliveryDays')}>
                    {(p) => <input {...p} inputMode="numeric" value={listing.deliveryDays} onChange={(e) => setListing({ ...listing, deliveryDays: e.target.value })} />}
                  </Field>
                </div>
                <Switch checked={listing.requireCategory} onChange={(v) => setListing({ ...listing, requireCategory: v })} label="Require a category"
                  help="A product with no category here is held with an issue instead of being written." />
                {(rulesNow.groups?.length ?? 0) > 0 && (
                  <p className="muted small">{rulesNow.groups!.length} mapping group{rulesNow.groups!.length === 1 ? '' : 's'} apply as well.</p>
                )}
              </fieldset>
              <fieldset className="fieldset">
                <legend>Currency</legend>
                <div className="form-row">
                  <Field label="Currency of this connection" help="ISO code, e.g. USD. Prices in another currency are converted with your rates." {...at('settings.currency.code')}>
                    {(p) => <input {...p} className="mono" value={listing.currencyCode} placeholder="As the hub price" onChange={(e) => setListing({ ...listing, currencyCode: e.target.value })} spellCheck={false} />}
                  </Field>
                  <Field label="Price list" help="The hub price tag shown here. Empty: the default one." {...at('settings.currency.priceListTag')}>
                    {(p) => <input {...p} value={listing.priceListTag} placeholder="default" onChange={(e) => setListing({ ...listing, priceListTag: e.target.value })} spellCheck={false} />}
                  </Field>
                </div>
              </fieldset>
              <fieldset className="fieldset">
                <legend>Publishing and matching</legend>
                <div className="form-row">
                  <Field label="New listings start" {...at('settings.publish.newRecords')}>
                    {(p) => (
                      <select {...p} value={listing.newRecords} onChange={(e) => setListing({ ...listing, newRecords: e.target.value as typeof listing.newRecords })}>
                        <option value="hub">As the hub record</option>
                        <option value="published">Published</option>
                        <option value="unpublished">Unpublished</option>
                      </select>
                    )}
                  </Field>
                  <Field label="Recognise listings by" help="How a listing found here is bound to a hub record." {...at('settings.matching.by')}>
                    {(p) => (
                      <select {...p} value={listing.matchBy} onChange={(e) => setListing({ ...listing, matchBy: e.target.value as typeof listing.matchBy })}>
                        <option value="sku">SKU</option>
                        <option value="barcode">Barcode</option>
                        <option value="sku_or_barcode">SKU, then barcode</option>
                      </select>
                    )}
                  </Field>
                </div>
                <Switch checked={listing.unpublishAtZeroStock} onChange={(v) => setListing({ ...listing, unpublishAtZeroStock: v })} label="Unpublish at zero stock"
                  help="And publish again when stock returns, where the hub governs the status." />
                <Switch checked={listing.lookupBeforeCreate} onChange={(v) => setListing({ ...listing, lookupBeforeCreate: v })} label="Look up before creating"
                  help={`Before the first creates of a send, read ${c.name}'s listing and bind matches instead of creating them.`} />
              </fieldset>
              <Field label="Category table, platform categories, attributes and order defaults (JSON)" error={advancedError} onEdit={() => { if (advancedError) setError(null); }}
                help={<>Keys: {ADVANCED_KEYS.join(', ')}. For example {'{ "categoryMap": [{ "category": "Kitchen", "to": "Home/Kitchen" }] }'}. A key left out is removed.</>}>
                {(p) => <textarea {...p} className="mono" rows={8} value={advanced} onChange={(e) => setAdvanced(e.target.value)} spellCheck={false} />}
              </Field>
            </div>
          )}

          {/* Kept mounted once opened, so a half-typed group survives a look at another tab. */}
          {(tab === 'groups' || groupsOpened) && <div hidden={tab !== 'groups'}><MappingGroupsTab c={c} onDraft={setGroupDraft} /></div>}

          {tab === 'schedule' && schedule && (
            <div className="form">
              <p className="muted small intro">The jobs {c.name} runs by itself. You can always start a fetch, send or sync by hand.</p>
              <Switch checked={schedule.enabled} onChange={(v) => setSchedule({ ...schedule, enabled: v })} label="Run jobs on a schedule"
                help="Off: jobs run only when started by hand, from the API or by a webhook." />
              <div className="form-row">
                <Field label="Time zone" help="Of the quiet hours and the cron times, e.g. Europe/Amsterdam." {...at('settings.schedule.timezone')}>
                  {(p) => <input {...p} value={schedule.timezone} onChange={(e) => setSchedule({ ...schedule, timezone: e.target.value })} spellCheck={false} />}
                </Field>
              </div>
              <Switch checked={schedule.quiet} onChange={(v) => setSchedule({ ...schedule, quiet: v })} label="Quiet hours"
                help="Jobs set to quiet hours only start inside this window. It may span midnight." />
              {schedule.quiet && (
                <div className="form-row">
                  <Field label="Quiet from" {...at('settings.schedule.quietHours.from')}>
                    {(p) => <input {...p} type="time" value={schedule.from} onChange={(e) => setSchedule({ ...schedule, from: e.target.value })} />}
                  </Field>
                  <Field label="Quiet until" {...at('settings.schedule.quietHours.to')}>
                    {(p) => <input {...p} type="time" value={schedule.to} onChange={(e) => setSchedule({ ...schedule, to: e.target.value })} />}
                  </Field>
                </div>
              )}
              {SCHEDULE_JOBS.map(([n, label, what]) => {
                const j = schedule.jobs[n];
                const next = (c.schedule?.entries ?? []).find((e) => e.name === n)?.nextRunAt;
                return (
                  <fieldset key={n} className="fieldset">
                    <legend>{label}</legend>
                    <p className="muted small">{what} Next run: {schedule.enabled && j.enabled ? dateTime(next) : 'not scheduled'}.</p>
                    <Switch compact checked={j.enabled} onChange={(v) => setJob(n, { enabled: v })} label={`Run ${label.toLowerCase()} on a schedule`} />
                    <div className="form-row">
                      <Field label={`${label} every`} help="A number and a unit: 30s, 5m, 8h, 1d." {...at(`settings.schedule.${n}.every`)}>
                        {(p) => <input {...p} value={j.every} placeholder="e.g. 5m" onChange={(e) => setJob(n, { every: e.target.value })} spellCheck={false} />}
                      </Field>
                      <Field label={`${label} at (cron)`} help="Optional; overrides the interval." {...at(`settings.schedule.${n}.cron`)}>
                        {(p) => <input {...p} className="mono" value={j.cron} placeholder="e.g. 0 3 * * *" onChange={(e) => setJob(n, { cron: e.target.value })} spellCheck={false} />}
                      </Field>
                    </div>
                    <Switch compact checked={j.quietHoursOnly} onChange={(v) => setJob(n, { quietHoursOnly: v })} label={`${label}: only in quiet hours`} />
                  </fieldset>
                );
              })}
            </div>
          )}

          {tab === 'clocks' && (
            <div className="form">
              <p className="muted small intro">
                Clocks remember how far each scan of {c.name} got, so a fetch reads only what changed since. Resetting them makes the next fetch a full rescan:
                records no longer found there are then marked gone in the hub (nothing is deleted on any platform).
              </p>
              {clocks.length === 0 ? (
                <div className="empty-inline"><Icon name="clock" size={16} />No clocks yet: the next fetch is a full scan anyway.</div>
              ) : (
                <table className="table">
                  <thead><tr><th scope="col">Entity</th><th scope="col">Last scan</th><th scope="col">Complete</th></tr></thead>
                  <tbody>
                    {clocks.map(([entity, v]) => {
                      const clock = (v ?? {}) as Record<string, unknown>;
                      return (
                        <tr key={entity}>
                          <th scope="row">{entity}</th>
                          <td>{dateTime(clock.lastScanAt ?? clock.at ?? clock.updatedAt)}</td>
                          <td>{clock.complete === false ? <span className="tag tag-warn">interrupted</span> : <span className="tag tag-ok">yes</span>}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              )}
              <div>
                <button type="button" className="btn btn-danger-outline" onClick={() => setConfirmReset(true)}><Icon name="reset" size={16} />Reset clocks…</button>
              </div>
            </div>
          )}
        </div>
      </Modal>
      {leaving && (
        <Confirm title="Drop the unsaved mapping group?" confirmLabel="Drop it and close" danger
          onCancel={() => { setLeaving(null); setTab('groups'); }} onConfirm={() => { setLeaving(null); leaving(); }}>
          <p>The group being edited on the Groups tab is not saved: groups are saved with their own button, not with the settings.</p>
        </Confirm>
      )}
      {confirmReset && (
        <Confirm title={`Reset the clocks of ${c.name}?`} confirmLabel="Reset clocks" danger busy={busy} onCancel={() => setConfirmReset(false)} onConfirm={resetClocks}>
          <p>This <strong>forces a full rescan</strong>: the next fetch reads every product and order on {c.name} again from the start, which takes longer on a large catalog.</p>
          <p className="muted">Records missing from that rescan are marked gone in the hub. If the rescan finds nothing or far fewer records than before, nothing is marked gone and an issue is raised instead.</p>
        </Confirm>
      )}
    </>
  );
}
