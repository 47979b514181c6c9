/**
 * Following a family window after window. The history's follower keeps, per series, a decoder stopped where the
 * last read ended (xor-chunk.ts, XorCursor), so a reader that moves forward decodes each sample once rather than
 * each chunk from its start on every read, and hands the samples over in reused arrays rather than new ones.
 * Cursors live in a WeakMap keyed by the series, so a series the history forgets takes its cursor with it.
 */
import type { Labels } from '../store/types';
import type { FamilyFollower, FollowVisitor, HistoryReader } from './types';
import { XorCursor, type XorEncoder } from './xor-chunk';

/** The parts of a history series the follower reads. */
export interface FollowedSeries {
  readonly labels: Labels;
  readonly sealed: readonly { readonly firstRound: number; readonly count: number; readonly bytes: Uint8Array }[];
  readonly head: { readonly firstRound: number; readonly enc: XorEncoder } | undefined;
}

/** What the history gives its followers. */
export interface FollowSource {
  /** The series named `family` (any order). */
  named(family: string): Iterable<FollowedSeries>;
  /** The held rounds inside [startMs, endMs] as [first, last] (first > last when none). */
  window(startMs: number, endMs: number): [number, number];
  timeOf(round: number): number;
}

interface Cursor {
  firstRound: number;
  readonly dec: XorCursor;
}

export class HistoryFollower implements FamilyFollower {
  readonly #src: FollowSource;
  readonly #family: string;
  readonly #cursors = new WeakMap<FollowedSeries, Cursor>();
  #t = new Float64Array(64);
  #v = new Float64Array(64);
  #words = new Uint32Array(this.#v.buffer);

  constructor(src: FollowSource, family: string) {
    this.#src = src;
    this.#family = family;
  }

  read(startMs: number, endMs: number, visit: FollowVisitor): void {
    const [rs, re] = this.#src.window(startMs, endMs);
    if (rs > re) return;
    if (this.#v.length < re - rs + 1) {
      let size = this.#v.length;
      while (size < re - rs + 1) size *= 2;
      this.#t = new Float64Array(size);
      this.#v = new Float64Array(size);
      this.#words = new Uint32Array(this.#v.buffer);
    }
    for (const h of this.#src.named(this.#family)) {
      let n = 0;
      const sealed = h.sealed;
      let i = sealed.length;
      while (i > 0 && sealed[i - 1]!.firstRound + sealed[i - 1]!.count - 1 >= rs) i--;
      for (; i < sealed.length; i++) n += this.#chunk(h, sealed[i]!.firstRound, sealed[i]!.count, sealed[i]!.bytes, rs, re, n);
      if (h.head) n += this.#chunk(h, h.head.firstRound, h.head.enc.count, h.head.enc.view(), rs, re, n);
      if (n > 0) visit(h.labels, this.#t, this.#v, n);
    }
  }

  /** Decodes the chunk's rounds inside [rs, re] into the scratch arrays at `at`; returns how many. */
  #chunk(h: FollowedSeries, first: number, count: number, bytes: Uint8Array, rs: number, re: number, at: number): number {
    const from = Math.max(rs, first) - first;
    const to = Math.min(re, first + count - 1) - first + 1;
    if (from >= to) return 0;
    let c = this.#cursors.get(h);
    if (!c) this.#cursors.set(h, (c = { firstRound: first, dec: new XorCursor() }));
    if (c.firstRound !== first || c.dec.index > from) {
      c.firstRound = first;
      c.dec.reset();
    }
    const n = c.dec.advance(bytes, to, from, this.#v, at, this.#words);
    for (let k = 0; k < n; k++) this.#t[at + k] = this.#src.timeOf(first + from + k);
    return n;
  }
}

/** The reader's own follower, or one made of `select` calls for a reader without one. */
export function followerOf(reader: HistoryReader, family: string): FamilyFollower {
  if (reader.follow) return reader.follow(family);
  return {
    read(startMs, endMs, visit) {
      for (const s of reader.select([{ name: '__name__', type: '=', value: family }], startMs, endMs)) visit(s.labels, s.timestampsMs, s.values, s.values.length);
    },
  };
}
