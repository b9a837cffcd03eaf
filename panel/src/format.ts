/** Formatting helpers: numbers, money, dates and values of any shape, always as plain text. */

const nf = new Intl.NumberFormat('en-US');
export const num = (n: number | null | undefined) => (n === null || n === undefined ? '—' : nf.format(n));

export function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
export function ago(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const t = Date.parse(iso.includes('T') ? iso : iso.replace(' ', 'T').replace(/\+00$/, 'Z'));
  if (Number.isNaN(t)) return String(iso);
  const s = Math.round((t - Date.now()) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return 'just now';
  if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  if (abs < 86400 * 30) return rtf.format(Math.round(s / 86400), 'day');
  return new Date(t).toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric' });
}

export function parseDate(iso: unknown): Date | null {
  if (typeof iso !== 'string' && typeof iso !== 'number') return null;
  const s = String(iso);
  const t = Date.parse(s.includes('T') || typeof iso === 'number' ? s : s.replace(' ', 'T').replace(/\+00$/, 'Z'));
  return Number.isNaN(t) ? null : new Date(t);
}

export function dateTime(iso: unknown): string {
  const d = parseDate(iso);
  return d ? d.toLocaleString('en-US', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : '—';
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Any stored value as one line of text (prices and stock lists get their own shape). */
export function show(value: unknown, field?: string): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none';
    if (field === 'price' || field === 'prices') {
      return value.map((p) => {
        const x = p as { amount?: number; currency?: string; tag?: string };
        const m = typeof x.amount === 'number' ? money(x.amount, x.currency ?? 'USD') : show(p);
        return x.tag && x.tag !== 'default' ? `${m} (${x.tag})` : m;
      }).join(', ');
    }
    if (field === 'stock' || field === 'availabilities') {
      return value.map((a) => {
        const x = a as { quantity?: number; tag?: string };
        return x.tag && x.tag !== 'default' ? `${x.quantity} @ ${x.tag}` : `${x.quantity}`;
      }).join(', ');
    }
    if (field === 'images' || field === 'videos') return `${value.length} ${field === 'images' ? (value.length === 1 ? 'image' : 'images') : (value.length === 1 ? 'video' : 'videos')}`;
    return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ');
  }
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

export const plural = (n: number, one: string, many = `${one}s`) => `${num(n)} ${n === 1 ? one : many}`;

export function initials(name: string): string {
  const words = name.replace(/[^\p{L}\p{N} ]/gu, ' ').split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  if (words.length === 1) return words[0].slice(0, 2).toUpperCase();
  return (words[0][0] + words[words.length - 1][0]).toUpperCase();
}

/** A stable colour per connection, for its avatar. */
export function hueOf(id: string): number {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return h;
}

export function hostOf(url: unknown): string {
  if (typeof url !== 'string') return '';
  try { return new URL(url).host; } catch { return url; }
}
