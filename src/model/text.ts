/**
 * Text the database can hold. PostgreSQL refuses a NUL character in a text column
 * and a NUL or an unpaired UTF-16 surrogate ("\ud800") in jsonb; both arrive from
 * platforms (a product title, an error page) and from API callers. Everything a
 * platform or a caller says goes through these before it is stored or shown.
 */

/** Control characters other than tab, line feed and carriage return (C0, DEL, C1). */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
/** Every control character, line breaks included: for one-line messages. */
const ANY_CONTROL = /[\u0000-\u001F\u007F-\u009F]+/g;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const SUSPECT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF]/;
/** C0 controls other than tab and line breaks, and DEL: what an API input may not hold. */
const INPUT_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** Whether an API input holds a control character other than tab and line breaks (a NUL above all). */
export function hasInputControl(s: string): boolean {
  return INPUT_CONTROL.test(s);
}

/** What cleaning did to one text. */
export interface TextRepair {
  controls: number;
  surrogates: number;
}

/**
 * The text without control characters (tab and line breaks are kept) and with each
 * unpaired surrogate replaced by U+FFFD, the replacement character.
 */
export function cleanText(s: string, repair?: TextRepair): string {
  if (!SUSPECT.test(s)) return s;
  let out = s.replace(CONTROL, () => { if (repair) repair.controls++; return ''; });
  out = out.replace(LONE_SURROGATE, () => { if (repair) repair.surrogates++; return '\uFFFD'; });
  return out;
}

/**
 * A text to quote in a message: one line (control characters and line breaks become
 * a space), unpaired surrogates replaced, at most `max` characters (the last one "…" when cut).
 */
export function shortText(s: string, max = 300): string {
  let out = s.replace(LONE_SURROGATE, '\uFFFD').replace(ANY_CONTROL, ' ');
  if (out.length > max) {
    // Never cut a surrogate pair in two.
    let end = max - 1;
    if (/[\uD800-\uDBFF]/.test(out[end - 1])) end--;
    out = `${out.slice(0, end)}…`;
  }
  return out;
}

/**
 * Cleans every string of a JSON-like value (keys too), as `cleanText`. Returns the same
 * object when nothing needed cleaning, and the paths (`title`, `variations.0.color`) of
 * what was cleaned.
 */
export function cleanDeep<T>(value: T, path = '', found: { path: string; repair: TextRepair }[] = []): { value: T; cleaned: { path: string; repair: TextRepair }[] } {
  return { value: walk(value, path, found) as T, cleaned: found };
}

function walk(v: unknown, path: string, found: { path: string; repair: TextRepair }[]): unknown {
  if (typeof v === 'string') {
    if (!SUSPECT.test(v)) return v;
    const repair: TextRepair = { controls: 0, surrogates: 0 };
    const out = cleanText(v, repair);
    if (out !== v) found.push({ path: path || '(value)', repair });
    return out;
  }
  if (Array.isArray(v)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const c = walk(v[i], path ? `${path}.${i}` : String(i), found);
      if (c !== v[i]) (copy ??= [...v])[i] = c;
    }
    return copy ?? v;
  }
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    let copy: Record<string, unknown> | null = null;
    for (const [k, x] of Object.entries(v)) {
      const key = SUSPECT.test(k) ? cleanText(k) : k;
      const c = walk(x, path ? `${path}.${key}` : key, found);
      if (c !== x || key !== k) {
        copy ??= { ...(v as Record<string, unknown>) };
        if (key !== k) delete copy[k];
        copy[key] = c;
      }
    }
    return copy ?? v;
  }
  return v;
}

/** "a NUL or control character removed" / "2 broken characters replaced with �": what a repair did, in words. */
export function describeRepair(r: TextRepair): string {
  const parts: string[] = [];
  if (r.controls > 0) parts.push(r.controls === 1 ? 'a NUL or control character removed' : `${r.controls} NUL or control characters removed`);
  if (r.surrogates > 0) parts.push(r.surrogates === 1 ? 'a broken character (lone surrogate) replaced with \uFFFD' : `${r.surrogates} broken characters (lone surrogates) replaced with \uFFFD`);
  return parts.join(', ');
}
