/**
 * A sketch travels in its serialised form: anything with `toJSON()` (the StatsD timers' DDSketch gives
 * {a, n, s, min, max, z, p, m}), or a plain object / byte array as it is.
 */
export function encodeSketch(sketch: unknown): unknown {
  if (sketch === null || sketch === undefined) return undefined;
  if (typeof (sketch as { toJSON?: unknown }).toJSON === 'function') return (sketch as { toJSON(): unknown }).toJSON();
  if (sketch instanceof Uint8Array || Object.getPrototypeOf(sketch) === Object.prototype) return sketch;
  return undefined;
}
