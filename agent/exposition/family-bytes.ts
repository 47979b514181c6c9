/**
 * One family's place in the rendered body, kept between renders so that a render copies bytes instead of
 * formatting them again.
 *
 * Per format the family remembers where it sits in the last body, where each of its series' lines start (relative
 * to it) and the generation each series had when its lines were written. When the family has changed since, the
 * next render copies each series whose generation is the same from the last body and formats only the changed and
 * new ones; an unchanged family is one copy (and adjacent unchanged families one copy together: body-writer.ts).
 * The sorted series list is kept too and changes only when series come or go: removed series are filtered out and
 * new ones (ids above the highest id the list holds; ids are never reused) are sorted and merged in.
 */
import { compareSeries, FamilyWriter, type Format } from '../formats/render';
import type { Family, Series } from '../store/store';
import type { BodyWriter } from './body-writer';

/** Where the family's bytes are in the last body of one format. */
interface Placed {
  readonly rows: readonly Series[];
  readonly famGen: number;
  /** The writer (and its header) for the HELP text it was made with. */
  readonly writer: FamilyWriter;
  readonly help: string;
  /** Start of the family in the last body. */
  base: number;
  /** off[i]: start of series i from `base` (the header is before off[0]); off[rows.length]: the family's length. */
  readonly off: Uint32Array;
  /** Each series' generation when its bytes were written. */
  readonly gens: Float64Array;
}

/** A render of the family being prepared: where its bytes go, and the lines of the series written again, in order. */
interface Plan {
  readonly next: Placed;
  /** Each series' index in the previous placement, when the series list changed since. */
  readonly index: Map<Series, number> | undefined;
  readonly lines: string[];
  /** The (ascending) indexes of the series written again, when only those were looked at; else every series was. */
  readonly dirty: number[] | undefined;
}

/** Counts of work done, for the cache's counters. */
export interface RenderWork {
  familyRenders: number;
  seriesRenders: number;
}

export class FamilyBytes {
  readonly family: Family;
  #rows: readonly Series[] = [];
  #maxId = -1;
  #membersStale = true;
  readonly #placed: Record<Format, Placed | undefined> = { text: undefined, openmetrics: undefined };
  /** The placement before the last one, whose arrays the next render reuses (no allocation when the list is stable). */
  readonly #spare: Record<Format, Placed | undefined> = { text: undefined, openmetrics: undefined };
  /**
   * Per format, the series the change feed named since that format's last render, so that render looks at them
   * only; 'all' when too many to be worth it (bounded: the list gives way to a scan of every series).
   */
  readonly #pending: Record<Format, Series[] | 'all'> = { text: [], openmetrics: [] };
  #plan: Plan | undefined;

  constructor(family: Family) {
    this.family = family;
  }

  /** Series may have left the family (a removal, or a change feed resync): the list is checked at the next render. */
  membersChanged(): void {
    this.#membersStale = true;
  }

  /** The change feed resynced: nothing is known of what changed, so every series is looked at next time. */
  resynced(): void {
    this.#membersStale = true;
    this.#pending.text = this.#pending.openmetrics = 'all';
  }

  /** The change feed named `s` (a series of this family) as changed. */
  seriesChanged(s: Series): void {
    this.#note('text', s);
    this.#note('openmetrics', s);
  }

  #note(format: Format, s: Series): void {
    const list = this.#pending[format];
    if (list === 'all' || this.#placed[format] === undefined) return;
    if (list.length >= 16 + (this.#rows.length >> 2)) this.#pending[format] = 'all';
    else list.push(s);
  }

  /**
   * First step of a render: works out what the family's bytes will be in `format` and returns their length (0: no
   * series). Formats the series that changed; `write` then puts the bytes in the body.
   */
  prepare(format: Format, work: RenderWork): number {
    const fam = this.family;
    if (this.#membersStale || this.#rows.length !== fam.series.size) this.#updateRows();
    const prev = this.#placed[format];
    this.#plan = undefined;
    if (prev && prev.famGen === fam.changedGen && prev.rows === this.#rows) return prev.off[prev.rows.length]!;
    if (this.#rows.length === 0) {
      this.#placed[format] = this.#spare[format] = undefined;
      return 0;
    }
    const pending = this.#pending[format];
    this.#pending[format] = [];
    const spare = this.#spare[format];
    this.#plan = (prev && prev.rows === this.#rows && pending !== 'all' && patchPlan(fam, prev, pending, format, spare, work)) || plan(fam, this.#rows, format, prev, spare, work);
    work.familyRenders++;
    return this.#plan.next.off[this.#rows.length]!;
  }

  /** Second step: appends the family's bytes to the body (the previous body is the writer's source). */
  write(format: Format, out: BodyWriter): void {
    const prev = this.#placed[format];
    const p = this.#plan;
    if (!p) {
      if (!prev) return;
      const from = prev.base;
      prev.base = out.pos;
      out.copy(from, from + prev.off[prev.rows.length]!);
      return;
    }
    const next = p.next;
    next.base = out.pos;
    const headLen = next.off[0]!;
    if (prev && prev.writer === next.writer) out.copy(prev.base, prev.base + headLen);
    else out.write(next.writer.head, headLen);
    if (p.dirty) {
      // Only the listed series changed: copy up to each one, write it, and copy the rest.
      let from = prev!.off[0]!;
      for (let k = 0; k < p.dirty.length; k++) {
        const i = p.dirty[k]!;
        out.copy(prev!.base + from, prev!.base + prev!.off[i]!);
        out.write(p.lines[k]!, next.off[i + 1]! - next.off[i]!);
        from = prev!.off[i + 1]!;
      }
      out.copy(prev!.base + from, prev!.base + prev!.off[next.rows.length]!);
    } else {
      this.#writeAll(p, prev, out);
    }
    this.#spare[format] = prev;
    this.#placed[format] = next;
    this.#plan = undefined;
  }

  #writeAll(p: Plan, prev: Placed | undefined, out: BodyWriter): void {
    const { rows, off, gens } = p.next;
    const index = p.index;
    let k = 0;
    for (let i = 0; i < rows.length; i++) {
      const j = prev === undefined ? -1 : index === undefined ? i : (index.get(rows[i]!) ?? -1);
      if (j >= 0 && prev!.gens[j] === gens[i]) out.copy(prev!.base + prev!.off[j]!, prev!.base + prev!.off[j + 1]!);
      else out.write(p.lines[k++]!, off[i + 1]! - off[i]!);
    }
  }

  /** Drops the removed series from the sorted list and merges the new ones in. */
  #updateRows(): void {
    const fam = this.family;
    this.#membersStale = false;
    const kept = this.#rows.filter((s) => fam.series.get(s.key) === s);
    let added: Series[] = [];
    if (kept.length !== fam.series.size) {
      for (const s of fam.series.values()) if (s.id > this.#maxId) added.push(s);
      if (kept.length + added.length !== fam.series.size) {
        // Not what the ids promise: start the list again.
        kept.length = 0;
        added = [...fam.series.values()];
      }
    }
    if (added.length === 0) {
      if (kept.length !== this.#rows.length) this.#rows = kept;
      return;
    }
    added.sort(compareSeries);
    for (const s of added) if (s.id > this.#maxId) this.#maxId = s.id;
    this.#rows = kept.length === 0 ? added : merge(kept, added);
  }
}

function merge(a: readonly Series[], b: readonly Series[]): Series[] {
  const out = new Array<Series>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = compareSeries(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/** The family's next bytes: series unchanged since `prev` are copied, the others formatted. */
function plan(fam: Family, rows: readonly Series[], format: Format, prev: Placed | undefined, spare: Placed | undefined, work: RenderWork): Plan {
  const writer = prev && prev.help === fam.help ? prev.writer : new FamilyWriter(fam, format);
  const n = rows.length;
  const off = spare && spare.off.length === n + 1 ? spare.off : new Uint32Array(n + 1);
  const gens = spare && spare.gens.length === n ? spare.gens : new Float64Array(n);
  const lines: string[] = [];
  let index: Map<Series, number> | undefined;
  if (prev && prev.rows !== rows) {
    index = new Map();
    for (let j = 0; j < prev.rows.length; j++) index.set(prev.rows[j]!, j);
  }
  let pos = Buffer.byteLength(writer.head);
  for (let i = 0; i < n; i++) {
    const s = rows[i]!;
    const gen = s.changedGen;
    off[i] = pos;
    gens[i] = gen;
    const j = prev === undefined ? -1 : index === undefined ? i : (index.get(s) ?? -1);
    if (j >= 0 && prev!.gens[j] === gen) {
      pos += prev!.off[j + 1]! - prev!.off[j]!;
    } else {
      const text = writer.lines(s);
      lines.push(text);
      pos += Buffer.byteLength(text);
      work.seriesRenders++;
    }
  }
  off[n] = pos;
  return { next: { rows, famGen: fam.changedGen, writer, help: fam.help, base: 0, off, gens }, index, lines, dirty: undefined };
}

/** Index of `s` in `rows` (sorted by label text), or -1. */
function find(rows: readonly Series[], s: Series): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareSeries(rows[mid]!, s);
    if (c === 0) return rows[mid] === s ? mid : -1;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * The family's next bytes when the series list is the same and the feed named the changed series: only those are
 * looked at, the others are not read at all. Undefined when a named series is not in the list (then every series
 * is looked at).
 */
function patchPlan(fam: Family, prev: Placed, changed: readonly Series[], format: Format, spare: Placed | undefined, work: RenderWork): Plan | undefined {
  const rows = prev.rows;
  const n = rows.length;
  const dirty: number[] = [];
  for (const s of changed) {
    const i = find(rows, s);
    if (i < 0) return undefined;
    if (prev.gens[i] !== s.changedGen) dirty.push(i);
  }
  dirty.sort((a, b) => a - b);
  const writer = prev.help === fam.help ? prev.writer : new FamilyWriter(fam, format);
  const off = spare && spare.off.length === n + 1 ? spare.off : new Uint32Array(n + 1);
  const gens = spare && spare.gens.length === n ? spare.gens : new Float64Array(n);
  gens.set(prev.gens);
  const lines: string[] = [];
  const pOff = prev.off;
  // d: how far the series from `start` on move (the header's change, then each rewritten series').
  let d = Buffer.byteLength(writer.head) - pOff[0]!;
  let start = 0;
  let last = -1;
  let k = 0;
  for (const i of dirty) {
    if (i === last) continue; // named twice
    last = i;
    dirty[k++] = i;
    const s = rows[i]!;
    const text = writer.lines(s);
    lines.push(text);
    gens[i] = s.changedGen;
    work.seriesRenders++;
    for (let r = start; r <= i; r++) off[r] = pOff[r]! + d;
    d += Buffer.byteLength(text) - (pOff[i + 1]! - pOff[i]!);
    start = i + 1;
  }
  dirty.length = k;
  for (let r = start; r <= n; r++) off[r] = pOff[r]! + d;
  return { next: { rows, famGen: fam.changedGen, writer, help: fam.help, base: 0, off, gens }, index: undefined, lines, dirty };
}
