/**
 * Hashing and comparing byte ranges without making strings from them: the remote write receiver finds a series by its
 * label bytes, the scrape path by the bytes of a line's series text. `hashText` is `hashRange`'s twin over a string's
 * character codes, so an entry kept under its text is found again by the bytes of that text when it is ASCII.
 */

export const HASH_SEED = 0x811c9dc5 | 0;

/** Mixes `dv[start, end)` into `h`, four bytes at a step. */
export function hashRange(h: number, dv: DataView, start: number, end: number): number {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    h = Math.imul(h ^ dv.getInt32(i, true), 0x5bd1e995);
    h ^= h >>> 15;
  }
  for (; i < end; i++) h = Math.imul(h ^ dv.getUint8(i), 0x01000193);
  return h;
}

/** `hashRange` of the character codes `s[start, end)` as bytes: equal to it on the bytes of an ASCII text. */
export function hashText(h: number, s: string, start: number, end: number): number {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const w = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
    h = Math.imul(h ^ w, 0x5bd1e995);
    h ^= h >>> 15;
  }
  for (; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** Whether `slab[at, at + end - start)` equals `dv[start, end)` (the caller checks both are in bounds). */
export function sameRange(slab: DataView, at: number, dv: DataView, start: number, end: number): boolean {
  let i = start;
  let o = at;
  for (; i + 4 <= end; i += 4, o += 4) if (slab.getInt32(o, true) !== dv.getInt32(i, true)) return false;
  for (; i < end; i++, o++) if (slab.getUint8(o) !== dv.getUint8(i)) return false;
  return true;
}

/** Whether the text `s` is the bytes `dv[start, end)` (one character per byte: true only for an ASCII match). */
export function sameText(s: string, dv: DataView, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let i = start, k = 0; i < end; i++, k++) if (s.charCodeAt(k) !== dv.getUint8(i)) return false;
  return true;
}
