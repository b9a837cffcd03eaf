/** The longest wait between two attempts at a platform call. */
export const MAX_BACKOFF_MS = 30_000;

/** Exponential backoff with jitter: between half and all of `baseMs * 2^attempt`, at most `maxMs`. */
export function backoff(attempt: number, baseMs: number, maxMs = MAX_BACKOFF_MS): number {
  const ceiling = Math.min(baseMs * 2 ** attempt, maxMs);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.ceil(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
