import { useCallback, useEffect, useId, useState } from 'react';
import { api, ApiError, type Connection, type Page, type RecordItem } from '../api';
import { Confirm } from '../ui/Modal';
import { Field, Switch } from '../ui/Form';
import { Icon } from '../ui/Icon';
import { toast } from '../ui/Toast';

/** A mapping group as the hub answers it (engine/mapping/schema.ts), with its rank: 1 is consulted first. */
interface MappingGroup {
  name: string; select: string; priority: number; overrides: string[];
  category?: string; title?: string; description?: string;
  attributes?: Record<string, unknown>; fields?: Record<string, unknown>;
  rank: number;
}
interface GroupList { items: MappingGroup[]; placeholders: string[] }

/** The group form as typed. Attribute sources and field overrides are edited as JSON. */
interface GroupForm {
  name: string; select: string; priority: string; overrides: string[];
  category: string; title: string; description: string; more: string;
}
const MORE_KEYS = ['attributes', 'fields'] as const;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const formOf = (g?: MappingGroup): GroupForm => {
  const more = Object.fromEntries(MORE_KEYS.filter((k) => g?.[k] !== undefined).map((k) => [k, g![k]]));
  return {
    name: g?.name ?? '', select: g?.select ?? '', priority: String(g?.priority ?? 0), overrides: g?.overrides ?? [],
    category: g?.category ?? '', title: g?.title ?? '', description: g?.description ?? '',
    more: Object.keys(more).length === 0 ? '{}' : JSON.stringify(more, null, 2),
  };
};

interface FormError { message: string; field?: string }
/** Whether an error the hub names (`attributes.color`, `overrides.0`) belongs to the form field `f`. */
const under = (e: FormError | null, f: string) => !!e?.field && (e.field === f || e.field.startsWith(`${f}.`));
/** The form fields an error can be shown under; the JSON holds attributes and fields. */
const FORM_FIELDS = ['name', 'select', 'priority', 'overrides', 'category', 'title', 'description', 'more'] as const;
type FormField = (typeof FORM_FIELDS)[number];
const fieldOf = (e: FormError | null): FormField | null => {
  if (!e?.field) return null;
  if (MORE_KEYS.some((k) => under(e, k))) return 'more';
  return FORM_FIELDS.find((f) => under(e, f)) ?? null;
};

interface Preview {
  operation: 'create' | 'update' | 'none'; planned: boolean;
  fields: Array<{ path: string; value: unknown; rule: string }>;
  changes: Array<{ path: string; old: unknown; new: unknown }>;
  problems: Array<{ code: string; message: string }>;
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const shown = (v: unknown) => (v === null || v === undefined || v === '' ? null : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The Groups tab of a connection's settings: its mapping groups in the order they are
 * consulted, a form to create or change one (saved at once, through the mapping-groups API),
 * deleting with a confirmation, and the listing preview of one product.
 */
export function MappingGroupsTab({ c, onDraft }: { c: Connection; onDraft?: (unsaved: boolean) => void }) {
  const base = `/api/connections/${c.id}/mapping-groups`;
  const [list, setList] = useState<GroupList | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  /** The group being edited: `original` is its name as saved, null for a new one. */
  const [editing, setEditing] = useState<{ original: string | null; form: GroupForm; opened: GroupForm } | null>(null);
  const [formError, setFormError] = useState<FormError | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const ids = useId();

  const load = useCallback(async () => {
    try {
      setList(await api<GroupList>('GET', base));
      setListError(null);
    } catch (e) {
      setListError(e instanceof ApiError && e.missing
        ? 'This hub has no mapping groups API yet (GET /api/connections/:id/mapping-groups); update the hub.'
        : (e as Error).message);
    }
  }, [base]);
  useEffect(() => { void load(); }, [load]);
  // A group form changed and not saved yet: the settings modal asks before closing over it.
  const unsaved = editing !== null && JSON.stringify(editing.form) !== JSON.stringify(editing.opened);
  useEffect(() => { onDraft?.(unsaved); }, [unsaved, onDraft]);

  const open = (g?: MappingGroup) => {
    const form = formOf(g);
    setEditing({ original: g?.name ?? null, form, opened: form });
    setFormError(null);
    setListError(null);
  };
  /** Sets a form field, and clears the error shown under it: an old error must not sit under a corrected value. */
  const edit = <K extends keyof GroupForm>(key: K, value: GroupForm[K]) => {
    setEditing((cur) => (cur ? { ...cur, form: { ...cur.form, [key]: value } } : cur));
    setFormError((e) => (fieldOf(e) === key ? null : e));
  };
  /** The error under a field; under a plain input the hub's "select: " prefix says nothing the label does not (the JSON keeps its paths). */
  const err = (f: FormField) => {
    if (fieldOf(formError) !== f) return undefined;
    const { message, field } = formError!;
    return f !== 'more' && field && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
  };

  const save = async () => {
    if (!editing) return;
    const { form, original } = editing;
    const wrong = (field: FormField, message: string) => setFormError({ field, message });
    if (form.name.trim() === '') { wrong('name', 'A name is needed.'); return; }
    const priority = form.priority.trim() === '' ? 0 : Number(form.priority);
    if (!Number.isInteger(priority)) { wrong('priority', 'A whole number is needed here.'); return; }
    let more: unknown;
    try {
      more = JSON.parse(form.more.trim() === '' ? '{}' : form.more);
    } catch (e) {
      wrong('more', `Not JSON: ${(e as Error).message}`);
      return;
    }
    if (!isObject(more)) { wrong('more', 'An object is needed here, such as { "attributes": { "color": "tag:colour" } }.'); return; }
    const stray = Object.keys(more).find((k) => !(MORE_KEYS as readonly string[]).includes(k));
    if (stray) { wrong('more', `"${stray}" is not set here: only ${MORE_KEYS.join(' and ')}.`); return; }
    const bad = MORE_KEYS.find((k) => more[k] !== undefined && !isObject(more[k]));
    if (bad) { wrong('more', `"${bad}" must be an object.`); return; }
    const text = (v: string) => (v.trim() === '' ? undefined : v);
    const body = {
      name: form.name.trim(), select: form.select.trim(), priority, overrides: form.overrides,
      category: text(form.category.trim()), title: text(form.title), description: text(form.description),
      ...more,
    };
    setBusy(true);
    setFormError(null);
    try {
      const saved = original === null
        ? await api<MappingGroup>('POST', base, body)
        : await api<MappingGroup>('PUT', `${base}/${encodeURIComponent(original)}`, body);
      toast('success', `Group ${saved.name} saved`, 'Pending changes are being recomputed with it.');
      setEditing(null);
      await load();
    } catch (e) {
      setFormError(e instanceof ApiError ? { message: e.message, field: e.field } : { message: String(e) });
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    const name = confirmDelete!;
    setBusy(true);
    try {
      await api('DELETE', `${base}/${encodeURIComponent(name)}`);
      toast('success', `Group ${name} deleted`);
      if (editing?.original === name) setEditing(null);
      await load();
    } catch (e) {
      // 409: another group overrides this one.
      setListError((e as Error).message);
    } finally {
      setBusy(false);
      setConfirmDelete(null);
    }
  };

  const groups = list?.items ?? [];
  const placeholders = (list?.placeholders ?? []).map((p) => `{${p}}`).join(' ');
  const form = editing?.form;
  // The groups this one may win over: every other group, and any it names already.
  const others = editing ? [...new Set([
    ...groups.filter((g) => g.name.toLowerCase() !== editing.original?.toLowerCase()).map((g) => g.name), ...editing.form.overrides,
  ])] : [];

  return (
    <div className="form groups-tab">
      <p className="muted small intro">
        A mapping group applies its own category, title and description templates and field overrides to the products a set selects.
        Where groups disagree, the first in this list wins: a group wins over the ones it overrides, then the higher priority.
        Each group is saved with its own button.
      </p>
      {listError && <div className="callout callout-error" role="alert"><Icon name="error" size={16} />{listError}</div>}

      {list && groups.length === 0 && !editing && (
        <div className="empty-inline"><Icon name="layers" size={16} />No mapping groups yet: every product is listed by the rules of the Listing tab.</div>
      )}
      {groups.length > 0 && (
        <div className="table-scroll">
          <table className="table groups-table" aria-label="Mapping groups">
            <thead>
              <tr><th scope="col">#</th><th scope="col">Group</th><th scope="col">Selects</th><th scope="col" className="num">Priority</th><th scope="col">Wins over</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.name} data-group={g.name}>
                  <td className="muted">{g.rank}</td>
                  <th scope="row">
                    <span className="block">{g.name}</span>
                    {(g.category || g.title) && (
                      <span className="block muted small">{[g.category && `Category ${g.category}`, g.title && `Title ${g.title}`].filter(Boolean).join(' · ')}</span>
                    )}
                  </th>
                  <td className="mono">{g.select || <span className="muted">every product</span>}</td>
                  <td className="num">{g.priority}</td>
                  <td>{g.overrides.length ? <span className="tag-list">{g.overrides.map((o) => <span key={o} className="tag">{o}</span>)}</span> : <span className="muted">–</span>}</td>
                  <td className="groups-actions">
                    <button type="button" className="icon-btn small" aria-label={`Edit group ${g.name}`} title="Edit" onClick={() => open(g)}><Icon name="edit" size={15} /></button>
                    <button type="button" className="icon-btn small" aria-label={`Delete group ${g.name}`} title="Delete" onClick={() => setConfirmDelete(g.name)}><Icon name="x" size={16} /></button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list && !editing && (
        <div><button type="button" className="btn" onClick={() => open()}><Icon name="plus" size={16} />New group</button></div>
      )}

      {editing && form && (
        <fieldset key={editing.original ?? ''} className="fieldset" aria-label={editing.original === null ? 'New mapping group' : `Mapping group ${editing.original}`}>
          <legend>{editing.original === null ? 'New group' : `Group ${editing.original}`}</legend>
          {formError && !fieldOf(formError) && <div className="callout callout-error" role="alert"><Icon name="error" size={16} />{formError.message}</div>}
          <div className="form-row">
            <Field label="Group name" error={err('name')}>
              {(p) => <input {...p} value={form.name} onChange={(e) => edit('name', e.target.value)} autoFocus />}
            </Field>
            <Field label="Priority" help="Higher wins where groups disagree." error={err('priority')}>
              {(p) => <input {...p} inputMode="numeric" value={form.priority} onChange={(e) => edit('priority', e.target.value)} />}
            </Field>
          </div>
          <Field label="Selects" error={err('select')}
            help="Sets, comma-separated, as in the product search: of brand B, of category C, tagged T, sku S*, with FIELD, with stock. Empty: every product.">
            {(p) => <input {...p} className="mono" value={form.select} placeholder="e.g. of category Footwear, of brand Nike" onChange={(e) => edit('select', e.target.value)} spellCheck={false} />}
          </Field>
          <Field label="Category" help={`The category on ${c.name}. Empty: as the category rules say.`} error={err('category')}>
            {(p) => <input {...p} value={form.category} onChange={(e) => edit('category', e.target.value)} />}
          </Field>
          <Field label="Title template" help={<>Placeholders: <span className="mono">{placeholders}</span>. Empty: the hub title.</>} error={err('title')}>
            {(p) => <input {...p} className="mono" value={form.title} placeholder="e.g. {brand} {title} {size}" onChange={(e) => edit('title', e.target.value)} spellCheck={false} />}
          </Field>
          <Field label="Description template" help="The same placeholders. Empty: the hub description." error={err('description')}>
            {(p) => <textarea {...p} className="mono" rows={3} value={form.description} onChange={(e) => edit('description', e.target.value)} spellCheck={false} />}
          </Field>
          <div className={`field ${err('overrides') ? 'has-error' : ''}`} role="group" aria-labelledby={`${ids}-overrides`}>
            <span className="field-label" id={`${ids}-overrides`}>Wins over</span>
            {others.length === 0 ? <span className="field-help">No other groups yet.</span> : (
              <div className="switch-grid">
                {others.map((o) => (
                  <Switch key={o} compact label={o} checked={form.overrides.some((x) => x.toLowerCase() === o.toLowerCase())}
                    onChange={(v) => edit('overrides', v ? [...form.overrides, o] : form.overrides.filter((x) => x.toLowerCase() !== o.toLowerCase()))} />
                ))}
              </div>
            )}
            {err('overrides') && <span className="field-error" role="alert">{err('overrides')}</span>}
          </div>
          <Field label="Attributes and field overrides (JSON)" error={err('more')}
            help={<>Keys: attributes (color and size from color, size, model, mpn, brand or tag:PREFIX; translations) and fields (brand, mpn, model, url templates; deliveryDays).
              For example {'{ "attributes": { "color": "tag:colour" }, "fields": { "deliveryDays": 3 } }'}.</>}>
            {(p) => <textarea {...p} className="mono" rows={5} value={form.more} onChange={(e) => edit('more', e.target.value)} spellCheck={false} />}
          </Field>
          <div className="groups-form-actions">
            <button type="button" className="btn" onClick={() => { setEditing(null); setFormError(null); }}>Cancel</button>
            <button type="button" className="btn btn-primary" onClick={save} disabled={busy}>
              {busy ? 'Saving…' : editing.original === null ? 'Create group' : 'Save group'}
            </button>
          </div>
        </fieldset>
      )}

      <ListingPreview c={c} />

      {confirmDelete && (
        <Confirm title={`Delete the group ${confirmDelete}?`} confirmLabel="Delete group" danger busy={busy} onCancel={() => setConfirmDelete(null)} onConfirm={remove}>
          <p>Products it selects are listed on {c.name} by the other groups and the Listing tab&apos;s rules again; pending changes are recomputed.</p>
        </Confirm>
      )}
    </div>
  );
}

/** What one product's listing on this connection would be, and which rule produced each field. */
function ListingPreview({ c }: { c: Connection }) {
  const [product, setProduct] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async () => {
    const wanted = product.trim();
    if (!wanted) { setError('A SKU or product id is needed.'); return; }
    setBusy(true);
    setError(null);
    try {
      let id = wanted;
      if (!UUID.test(wanted)) {
        const q = new URLSearchParams({ q: `sku "${wanted.replace(/"/g, '')}"`, limit: '1' });
        const found = (await api<Page<RecordItem>>('GET', `/api/products?${q}`)).items[0];
        if (!found) { setPreview(null); setError(`No product has the SKU ${wanted}.`); return; }
        id = found.id;
      }
      setPreview(await api<Preview>('GET', `/api/connections/${c.id}/preview/${id}`));
    } catch (e) {
      setPreview(null);
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  // The product's own fields first, then its variations'; the fields a send would change are marked.
  const rows = preview ? [...preview.fields].sort((x, y) => Number(x.path.startsWith('variations')) - Number(y.path.startsWith('variations'))) : [];
  const changed = new Set(preview?.changes.map((ch) => ch.path) ?? []);

  return (
    <fieldset className="fieldset">
      <legend>Preview a listing</legend>
      <form onSubmit={(e) => { e.preventDefault(); void run(); }}>
        <Field label="Product SKU or id" help={`What ${c.name} would receive for it, and the rule behind each field.`} error={error ?? undefined}>
          {(p) => (
            <div className="input-group">
              <input {...p} className="mono" value={product} onChange={(e) => { setProduct(e.target.value); setError(null); }} spellCheck={false} />
              <button type="submit" className="btn" disabled={busy}><Icon name="eye" size={16} />{busy ? 'Loading…' : 'Preview'}</button>
            </div>
          )}
        </Field>
      </form>
      {preview && (
        <div className="stack groups-preview" aria-label="Listing preview" role="region">
          <p className="preview">
            <Icon name="info" size={14} />
            {preview.operation === 'create' ? `A send would create this listing on ${c.name}.`
              : preview.operation === 'update' ? `A send would change ${preview.changes.length} field${preview.changes.length === 1 ? '' : 's'} on ${c.name}.`
                : `${c.name} is up to date with this product.`}
            {!preview.planned && ' It is not planned there: this is what it would receive.'}
          </p>
          {preview.problems.map((p) => <div key={p.code} className="callout callout-error"><Icon name="warning" size={16} />{p.message}</div>)}
          <div className="table-scroll">
            <table className="table">
              <thead><tr><th scope="col">Field</th><th scope="col">Value</th><th scope="col">From</th></tr></thead>
              <tbody>
                {rows.map((f) => (
                  <tr key={f.path} data-path={f.path}>
                    <th scope="row" className="mono small">{f.path}{changed.has(f.path) && <> <span className="tag tag-warn">changes</span></>}</th>
                    <td><span className="clamp">{shown(f.value) ?? <span className="muted">–</span>}</span></td>
                    <td className="muted small">{f.rule}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </fieldset>
  );
}
