/**
 * The source text of each element of the array under the top-level `key` of a JSON document,
 * as the store sent it: a listing's products can then be fingerprinted from their text,
 * without serialising every parsed product again (which cost more than parsing it).
 *
 * Returns null, and callers fall back to the parsed value, unless the document is an object
 * whose `key` (written without escapes) appears once at the top and holds an array of objects.
 * It locates; it does not validate: use it on text JSON.parse accepted.
 *
 * @example arrayElementTexts('{"products":[{"_id":"1"},{"_id":"2"}]}', 'products') // ['{"_id":"1"}', '{"_id":"2"}']
 */
export function arrayElementTexts(text: string, key: string): string[] | null {
  const QUOTE = 34, BACKSLASH = 92, COLON = 58, OPEN_OBJ = 123, CLOSE_OBJ = 125, OPEN_ARR = 91, CLOSE_ARR = 93;
  const n = text.length;
  let depth = 0;
  /** At depth 1: the last string ended here (a key, when a colon follows). */
  let stringStart = -1;
  let stringEnd = -1;
  let lastKeyMatches = false;
  /** Inside the target array: its depth, and where the element being read began. */
  let arrayDepth = -1;
  let elementStart = -1;
  let found = 0;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      if (arrayDepth > 0 && depth === arrayDepth) return null; // a string in the array, not an object
      const start = i;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
      if (depth === 1) { stringStart = start + 1; stringEnd = i; }
      continue;
    }
    if (c === COLON) {
      if (depth === 1) lastKeyMatches = stringEnd - stringStart === key.length && text.startsWith(key, stringStart);
      continue;
    }
    if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (arrayDepth > 0 && depth === arrayDepth) {
        // A value directly in the target array: only objects are expected there.
        if (c !== OPEN_OBJ) return null;
        elementStart = i;
      }
      depth++;
      if (c === OPEN_ARR && depth === 2 && lastKeyMatches) {
        if (++found > 1) return null;
        arrayDepth = 2;
        lastKeyMatches = false;
      }
      continue;
    }
    if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      depth--;
      if (arrayDepth > 0) {
        if (depth === arrayDepth && c === CLOSE_OBJ && elementStart >= 0) {
          out.push(text.slice(elementStart, i + 1));
          elementStart = -1;
        } else if (depth === arrayDepth - 1) {
          arrayDepth = -1;
        }
      }
      continue;
    }
    // Scalars directly in the target array (numbers, true, null) are not objects.
    if (arrayDepth > 0 && depth === arrayDepth && c > 32 && c !== 44) return null;
  }
  return found === 1 && depth === 0 ? out : null;
}
