import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { apiOptional, type Connection } from '../api';
import { Icon } from '../ui/Icon';

export interface SetSuggestion { expression: string; description?: string; example?: string }

/** The seed's sets, used when the hub does not list its own (GET /api/sets). Capitals are blanks to fill. */
const BUILT_IN: Record<'products' | 'orders', SetSuggestion[]> = {
  products: [
    { expression: 'on CONNECTION', description: 'Listed on a connection' },
    { expression: 'with pending creates to CONNECTION', description: 'Waiting to be created there' },
    { expression: 'with pending updates to CONNECTION', description: 'Waiting to be updated there' },
    { expression: 'with issues', description: 'Has an open error or warning' },
    { expression: 'without issues' },
    { expression: 'with FIELD', description: 'Has a value' },
    { expression: 'without FIELD', description: 'Missing a value' },
    { expression: 'of brand BRAND', example: 'of brand Kestrel' },
    { expression: 'of size SIZE', example: 'of size XL' },
    { expression: 'of color COLOR', example: 'of color Black' },
    { expression: 'published on CONNECTION' },
    { expression: 'unpublished on CONNECTION' },
    { expression: 'with low-stock' },
    { expression: 'out-of-stock' },
    { expression: 'with stock' },
    { expression: 'with low-price' },
    { expression: 'bad price' },
    { expression: 'on CONNECTION category CATEGORY' },
    { expression: 'without CONNECTION category' },
  ],
  orders: [
    { expression: 'on CONNECTION', description: 'Placed on or sent to a connection' },
    { expression: 'with pending creates to CONNECTION' },
    { expression: 'with pending updates to CONNECTION' },
    { expression: 'of today' },
    { expression: 'of yesterday' },
    { expression: 'of last week' },
    { expression: 'of this month' },
    { expression: 'of this year' },
    { expression: 'of YEAR MONTH', example: 'of 2026 11' },
    { expression: 'of YEAR', example: 'of 2026' },
  ],
};
const BUILT_IN_FIELDS = ['barcode', 'images', 'brand', 'mpn', 'model', 'description', 'color', 'size', 'price', 'stock', 'categories', 'tags', 'videos', 'url'];

interface SetsInfo { sets: SetSuggestion[]; fields: string[] | null }
const cache = new Map<string, Promise<SetsInfo | null>>();

/** GET /api/sets: `{ items: [{ set: 'of brand BRAND', example, description }], fields }` (older shapes tolerated). */
function normalize(data: unknown): SetsInfo {
  const d = data as { items?: unknown[]; sets?: unknown[]; fields?: unknown } | unknown[] | null;
  const arr = Array.isArray(d) ? d : d?.items ?? d?.sets ?? [];
  const sets: SetSuggestion[] = [];
  for (const x of arr) {
    if (typeof x === 'string') { sets.push({ expression: x }); continue; }
    const o = x as Record<string, unknown>;
    const expression = [o.set, o.template, o.syntax, o.expression, o.example, o.name].find((v) => typeof v === 'string') as string | undefined;
    const description = [o.description, o.label, o.help].find((v) => typeof v === 'string') as string | undefined;
    if (expression) sets.push({ expression, description, example: typeof o.example === 'string' ? o.example : undefined });
  }
  const fields = !Array.isArray(d) && Array.isArray(d?.fields) ? (d.fields as unknown[]).filter((f): f is string => typeof f === 'string') : null;
  return { sets, fields };
}

function hubSets(entity: 'products' | 'orders'): Promise<SetsInfo | null> {
  if (!cache.has(entity)) {
    cache.set(entity, apiOptional<unknown>('GET', `/api/sets?entity=${entity}`).then((d) => (d ? normalize(d) : null)).catch(() => null));
  }
  return cache.get(entity)!;
}

const quote = (name: string) => (/^[\p{L}\p{N}_-]+$/u.test(name) ? name : `"${name.replace(/"/g, '')}"`);
/** A blank in a set template: a capitalised word such as BRAND, or <brand>. */
const HOLE = /<[^>]+>|\b[A-Z][A-Z_]+\b/;
const CONNECTION_HOLE = /\bCONNECTION\b|<connection>/;
const FIELD_HOLE = /\bFIELD\b|<field>/;

/** Templates naming a connection or a field become one suggestion per connection or field; other blanks stay to be filled. */
function expand(list: SetSuggestion[], connections: Connection[], fields: string[]): Array<SetSuggestion & { template: boolean }> {
  const out: Array<SetSuggestion & { template: boolean }> = [];
  for (const s of list) {
    // Whether blanks remain is decided on the template, so a connection named in capitals is not taken for one.
    const template = HOLE.test(s.expression.replace(CONNECTION_HOLE, '').replace(FIELD_HOLE, ''));
    if (CONNECTION_HOLE.test(s.expression)) {
      for (const c of connections) out.push({ ...s, template, expression: s.expression.replace(CONNECTION_HOLE, quote(c.name)) });
    } else if (FIELD_HOLE.test(s.expression)) {
      for (const f of fields) out.push({ ...s, template, expression: s.expression.replace(FIELD_HOLE, f) });
    } else out.push({ ...s, template });
  }
  return out;
}

/** The first blank of a template, skipping quoted values and connection names. */
function findHole(value: string, connections: Connection[]): { index: number; length: number } | null {
  const re = new RegExp(HOLE.source, 'g');
  let m: RegExpExecArray | null;
  while ((m = re.exec(value))) {
    const before = value.slice(0, m.index);
    const quoted = (before.match(/"/g)?.length ?? 0) % 2 === 1;
    if (!quoted && !connections.some((c) => c.name === m![0])) return { index: m.index, length: m[0].length };
  }
  return null;
}

/**
 * The set-search bar: chosen sets are chips (intersected), typing suggests sets,
 * Enter adds the typed expression, Backspace on an empty input removes the last chip.
 */
export function SetSearch({ entity, chips, onChange, connections, error }: {
  entity: 'products' | 'orders'; chips: string[]; onChange: (chips: string[]) => void; connections: Connection[]; error?: string | null;
}) {
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [source, setSource] = useState<SetsInfo>({ sets: BUILT_IN[entity], fields: BUILT_IN_FIELDS });
  const input = useRef<HTMLInputElement>(null);
  const navigated = useRef(false);
  // The template being filled in: Enter on it unchanged selects its blank again instead of searching for it.
  const filling = useRef<string | null>(null);
  const listId = useId();

  useEffect(() => {
    let alive = true;
    void hubSets(entity).then((s) => { if (alive && s && s.sets.length) setSource({ sets: s.sets, fields: s.fields ?? BUILT_IN_FIELDS }); });
    return () => { alive = false; };
  }, [entity]);

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.key === '/' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) && !t.isContentEditable) {
        e.preventDefault();
        input.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const suggestions = useMemo(() => {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    const all = expand(source.sets, connections, source.fields ?? BUILT_IN_FIELDS).filter((s) => !chips.includes(s.expression));
    const hits = words.length === 0 ? all : all.filter((s) => {
      const hay = `${s.expression} ${s.description ?? ''} ${s.example ?? ''}`.toLowerCase();
      return words.every((w) => hay.includes(w.replace(/"/g, '')));
    });
    return hits.slice(0, 9);
  }, [text, source, connections, chips]);

  const add = (expression: string, template = false) => {
    const value = expression.trim().replace(/\s+/g, ' ');
    if (!value) return;
    const hole = template || value === filling.current ? findHole(value, connections) : null;
    if (hole) {
      filling.current = value;
      // A template: let the merchant fill in the blank, with the blank selected.
      setText(value);
      setOpen(false);
      requestAnimationFrame(() => {
        input.current?.focus();
        input.current?.setSelectionRange(hole.index, hole.index + hole.length);
      });
      return;
    }
    if (!chips.some((c) => c.toLowerCase() === value.toLowerCase())) onChange([...chips, value]);
    filling.current = null;
    setText('');
    setActive(0);
    setOpen(false);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); setOpen(true); navigated.current = true; setActive((a) => Math.min(a + 1, suggestions.length - 1)); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); navigated.current = true; setActive((a) => Math.max(a - 1, 0)); }
    else if (e.key === 'Enter') {
      e.preventDefault();
      // The highlighted suggestion when the merchant moved to it (or typed nothing), else exactly what was typed.
      if (open && suggestions[active] && (navigated.current || !text.trim())) add(suggestions[active].expression, suggestions[active].template);
      else add(text);
      navigated.current = false;
    } else if (e.key === 'Escape') { if (open) { e.stopPropagation(); setOpen(false); } }
    else if (e.key === 'Backspace' && text === '' && chips.length) onChange(chips.slice(0, -1));
    else if (e.key === 'Tab' && open && text.trim() && suggestions[active] && suggestions[active].expression !== text) {
      e.preventDefault();
      setText(suggestions[active].expression);
    }
  };

  return (
    <div className="setsearch-wrap">
      <div className={`setsearch ${error ? 'invalid' : ''}`} onClick={() => input.current?.focus()}>
        <Icon name="search" size={16} className="setsearch-icon" />
        <ul className="chips" aria-label="Chosen sets">
          {chips.map((c, i) => (
            <li key={c} className="chip">
              <span className="chip-text">{c}</span>
              <button type="button" className="chip-x" aria-label={`Remove set ${c}`} onClick={(e) => { e.stopPropagation(); onChange(chips.filter((_, j) => j !== i)); }}>
                <Icon name="x" size={12} />
              </button>
            </li>
          ))}
        </ul>
        <input ref={input} className="setsearch-input" value={text} role="combobox" aria-expanded={open && suggestions.length > 0} aria-controls={listId}
          aria-autocomplete="list" aria-activedescendant={open && suggestions[active] ? `${listId}-${active}` : undefined}
          aria-label={`Search ${entity} by sets`} aria-invalid={!!error}
          placeholder={chips.length ? 'Add another set…' : entity === 'products' ? 'Search products by sets: on "Shop B", with issues, without images…  (press /)' : 'Search orders by sets: of today, on "Marketplace"…'}
          onChange={(e) => { setText(e.target.value); setOpen(true); setActive(0); navigated.current = false; }}
          onFocus={() => setOpen(true)} onClick={() => setOpen(true)} onBlur={() => setTimeout(() => setOpen(false), 120)} onKeyDown={onKeyDown} spellCheck={false} autoComplete="off" />
        {chips.length > 0 && (
          <button type="button" className="link-btn small" onClick={(e) => { e.stopPropagation(); onChange([]); }}>Clear</button>
        )}
      </div>
      {open && suggestions.length > 0 && (
        <ul id={listId} className="suggestions" role="listbox" aria-label="Sets">
          {suggestions.map((s, i) => (
            <li key={s.expression} id={`${listId}-${i}`} role="option" aria-selected={i === active} className={i === active ? 'active' : ''}
              onMouseDown={(e) => { e.preventDefault(); add(s.expression, s.template); }} onMouseEnter={() => setActive(i)}>
              <span className="sugg-expr">{s.expression}</span>
              {(s.description || (s.template && s.example)) && <span className="sugg-desc">{s.description}{s.template && s.example ? <span className="sugg-eg">e.g. {s.example}</span> : null}</span>}
            </li>
          ))}
          <li className="sugg-foot" aria-hidden="true">Sets are intersected: a product must match every chip. <kbd>↵</kbd> add · <kbd>⌫</kbd> remove last</li>
        </ul>
      )}
      {error && <p className="field-error setsearch-error" role="alert">{error}</p>}
    </div>
  );
}
