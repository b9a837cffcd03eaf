/** One element of a listing, as the store wrote it, and its id's JSON text (`"7"`, `7`) when found. */
export interface ListingElement {
  text: string;
  idText: string | null;
}

/** A listing page taken apart: `envelope` is the page with the list emptied (`"products":[]`). */
export interface SplitListing {
  envelope: string;
  elements: ListingElement[];
}

/**
 * Takes a listing page apart without parsing its items: the source text of each element of
 * the array under the top-level `key`, as the store sent it, and the text of each element's
 * own `idKey` value. A rescan then fingerprints every product from its text and parses only
 * those it does not hold (parsing every product of a page cost more than the rest of the scan).
 *
 * It checks the page's layout (one top-level `key` holding an array of objects separated by
 * single commas) but not what is inside the elements: `JSON.parse(envelope)` checks the rest
 * of the page, and an element is checked when it is parsed. Returns null, and callers parse
 * the whole page, whenever it cannot be sure which text is which element (the key written
 * with escapes, twice, a list of non-objects, text that is not JSON at all).
 *
 * @example
 * splitListing('{"paging":{"itemsTotal":2},"products":[{"_id":"1"},{"_id":2}]}', 'products', '_id')
 * // { envelope: '{"paging":{"itemsTotal":2},"products":[]}',
 * //   elements: [{ text: '{"_id":"1"}', idText: '"1"' }, { text: '{"_id":2}', idText: '2' }] }
 */
export function splitListing(text: string, key: string, idKey: string): SplitListing | null {
  const QUOTE = 34, BACKSLASH = 92, COLON = 58, COMMA = 44, OPEN_OBJ = 123, CLOSE_OBJ = 125, OPEN_ARR = 91, CLOSE_ARR = 93;
  const n = text.length;
  let depth = 0;
  // The last string that ended at depth 1 (a top-level key when a colon follows) or inside an element.
  let stringStart = -1;
  let stringEnd = -1;
  let stringDepth = -1;
  let lastKeyMatches = false;
  // The target array: where it opens and closes, and what its next token must be.
  let arrayOpen = -1;
  let arrayClose = -1;
  let found = 0;
  let expectElement = true;
  let commaBeforeClose = false;
  let elementStart = -1;
  // The element's id value: from after its key's colon to the next comma or brace at the element's depth.
  let idStart = -1;
  let idText: string | null = null;
  /** Between the target array's brackets. */
  let inside = false;
  const elements: ListingElement[] = [];
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      if (inside && depth === 2) return null; // a string in the array, not an object
      const start = i;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
      stringStart = start + 1;
      stringEnd = i;
      stringDepth = depth;
      continue;
    }
    if (c === COLON) {
      if (depth === 1 && stringDepth === 1) {
        lastKeyMatches = stringEnd - stringStart === key.length && text.startsWith(key, stringStart);
      } else if (depth === 3 && stringDepth === 3 && inside && stringEnd - stringStart === idKey.length && text.startsWith(idKey, stringStart)) {
        idStart = i + 1;
      }
      continue;
    }
    if (c === COMMA) {
      if (depth === 3 && idStart >= 0) {
        idText = text.slice(idStart, i).trim();
        idStart = -1;
      } else if (depth === 2 && inside) {
        if (expectElement) return null; // two commas, or one right after the opening bracket
        expectElement = true;
        commaBeforeClose = true;
      }
      continue;
    }
    if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (inside && depth === 2) {
        // A value directly in the target array: only objects, each after a comma.
        if (c !== OPEN_OBJ || !expectElement) return null;
        expectElement = false;
        commaBeforeClose = false;
        elementStart = i;
        idText = null;
        idStart = -1;
      }
      depth++;
      if (c === OPEN_ARR && depth === 2 && lastKeyMatches) {
        if (++found > 1) return null;
        arrayOpen = i;
        inside = true;
        expectElement = true;
        lastKeyMatches = false;
      }
      continue;
    }
    if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      if (depth === 3 && idStart >= 0) {
        idText = text.slice(idStart, i).trim();
        idStart = -1;
      }
      depth--;
      if (inside) {
        if (depth === 2) {
          if (c !== CLOSE_OBJ || elementStart < 0) return null;
          elements.push({ text: text.slice(elementStart, i + 1), idText });
          elementStart = -1;
        } else if (depth === 1) {
          if (c !== CLOSE_ARR || commaBeforeClose) return null; // a trailing comma
          arrayClose = i;
          inside = false;
        }
      }
      if (depth < 0) return null;
      continue;
    }
    // Scalars directly in the target array (numbers, true, null) are not objects.
    if (inside && depth === 2 && c > 32) return null;
  }
  if (found !== 1 || depth !== 0 || arrayClose < 0) return null;
  return { envelope: text.slice(0, arrayOpen + 1) + text.slice(arrayClose), elements };
}
