/**
 * Flush requests between writers of the store and its outputs. A writer that has just written a whole interval of
 * aggregated values (StatsD's flush) asks the outputs to take them now, so they do not wait in memory for another
 * report interval before they reach the spool. Kept per store, like the durability marks: components never import
 * each other, and a reload's new components meet on the same store.
 */

const listeners = new WeakMap<object, Set<() => void>>();

/** Tells every output of `store` that a writer has just written an interval's worth of values. */
export function requestFlush(store: object): void {
  const set = listeners.get(store);
  if (set) for (const fn of [...set]) fn();
}

/** Calls `fn` on every flush request for `store`; returns the function that stops it. */
export function onFlushRequest(store: object, fn: () => void): () => void {
  let set = listeners.get(store);
  if (!set) listeners.set(store, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}
