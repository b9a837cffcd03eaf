import { ApiError } from '../http/errors.js';
import { hasInputControl } from '../model/text.js';

/** The first field (`settings.groups.0.name`, `q`) whose text or key holds a control character; null when none does. */
export function controlCharacterField(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return hasInputControl(value) ? path || 'body' : null;
  if (typeof value !== 'object' || value === null) return null;
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((x, i) => [String(i), x]) : Object.entries(value);
  for (const [k, v] of entries) {
    const where = path ? `${path}.${k}` : k;
    if (hasInputControl(k)) return path || 'body';
    const found = controlCharacterField(v, where);
    if (found !== null) return found;
  }
  return null;
}

/**
 * Refuses an API request whose query or JSON body holds a control character (a NUL
 * byte above all): a 400 naming the field, instead of a 500 when the database refuses it.
 */
export function refuseControlCharacters(req: { url: string; query?: unknown; body?: unknown }): void {
  if (!req.url.startsWith('/api/')) return;
  for (const part of [req.query, req.body]) {
    const field = controlCharacterField(part);
    if (field !== null) throw ApiError.badRequest(`${field}: must not hold control characters (such as NUL)`, field);
  }
}
