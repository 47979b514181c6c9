/**
 * The local history's read side: what the query engine, the rules, the analysis and the live page read.
 *
 * The history samples every live series of the store at a fixed step, the way a Prometheus scraping the agent
 * would (an unchanged counter still gets a sample each step), expanded as a scrape sees it (histograms and summaries
 * as `_bucket`/`_sum`/`_count` and quantile series, the metric name in `__name__`). A series that leaves the store
 * gets one staleness marker, as Prometheus writes one when a series disappears from a scrape.
 */
import type { Labels } from '../store/types';

/** Prometheus's staleness marker: a NaN with this exact bit pattern (model/value.StaleNaN). */
export const STALE_NAN_BITS = 0x7ff0000000000002n;

const staleBuf = new DataView(new ArrayBuffer(8));
staleBuf.setBigUint64(0, STALE_NAN_BITS);
/** The staleness marker as a number (a NaN whose payload survives Float64Array storage). */
export const STALE_NAN: number = staleBuf.getFloat64(0);

/** The marker with the quiet bit set: a JavaScript engine may quiet the (signalling) marker when it moves a value. */
const QUIET_STALE_NAN_BITS = STALE_NAN_BITS | 0x0008000000000000n;

/**
 * Whether `v` is the staleness marker rather than an ordinary NaN (its quieted form included). Keep markers in
 * Float64Arrays: a plain JavaScript array may canonicalise every NaN and lose the marker.
 */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  staleBuf.setFloat64(0, v);
  const b = staleBuf.getBigUint64(0);
  return b === STALE_NAN_BITS || b === QUIET_STALE_NAN_BITS;
}

export type MatchType = '=' | '!=' | '=~' | '!~';

/**
 * A label matcher with Prometheus's semantics: regular expressions are fully anchored, and a matcher that matches
 * the empty string also matches a series without that label.
 */
export interface LabelMatcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
}

/** One series' samples inside a window, oldest first; `labels` includes `__name__`. */
export interface SeriesSamples {
  readonly labels: Labels;
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
}

/**
 * Called once per series with that series' samples in the window, oldest first; the arrays are scratch space,
 * valid only during the call, and hold `n` samples (staleness markers included, as STALE_NAN).
 */
export type FollowVisitor = (labels: Labels, timestampsMs: Float64Array, values: Float64Array, n: number) => void;

/**
 * Reads one family's samples window after window, for a reader that moves forward in time (the analysis after each
 * round). Same samples as `select` with `__name__="<family>"`, in no particular series order, without copies.
 */
export interface FamilyFollower {
  read(startMs: number, endMs: number, visit: FollowVisitor): void;
}

export interface HistoryReader {
  /** The sampling step in ms. */
  readonly stepMs: number;
  /**
   * Every series whose labels match all `matchers` and that has at least one sample in [startMs, endMs], with its
   * samples in that window (staleness markers included, as STALE_NAN). At least one matcher must not match the empty
   * string (as Prometheus requires), else an OutriderError is thrown.
   */
  select(matchers: readonly LabelMatcher[], startMs: number, endMs: number): SeriesSamples[];
  /** Label names over series with samples in the window, sorted. */
  labelNames(startMs: number, endMs: number, matchers?: readonly LabelMatcher[]): string[];
  /** Values of one label over series with samples in the window, sorted. */
  labelValues(name: string, startMs: number, endMs: number, matchers?: readonly LabelMatcher[]): string[];
  /** Time of the oldest sample still held, or undefined while empty. */
  oldestMs(): number | undefined;
  /** Time of the newest sampling round, or undefined while empty. */
  newestMs(): number | undefined;
  /** A follower of one family (optional: `followerOf` in follower.ts falls back to `select`). */
  follow?(family: string): FamilyFollower;
  /** Called after each sampling round with its time; returns the unsubscribe function. */
  subscribe(listener: (tMs: number) => void): () => void;
}
