/**
 * Remote write 1.0 request bodies straight from the store, for an output that writes every tick: the Label messages
 * of each plain (counter, gauge, untyped) series are encoded once, kept by series id, and copied into each tick's
 * request next to the new sample, so a tick costs one copy and a few varints per series instead of a label array, a
 * sort and a UTF-8 encode. A series' labels and family never change for the life of its id, so an entry never goes
 * out of date; entries of series no longer in the store are dropped when they outnumber the live ones.
 * Distributions (expanded the Prometheus way) and staleness markers go through the plain encoder and are appended:
 * a WriteRequest is its TimeSeries fields one after another.
 *
 * A tick allocates next to nothing: each request of a tick is written into a buffer kept for its place in the tick
 * (the n-th request of every tick goes to the n-th buffer) and handed to the caller as a view of it (valid until the
 * callback returns: the caller copies or compresses it there). A series at the same place in the walk as last tick
 * (a pointer compare) and at the same offset of the same request is already written there, labels and all: only its
 * value and timestamp are written over (a steady target's tick is one walk of 8-byte stores). From the first series
 * that differs, the rest of that request is written afresh, each series' Label fields found by its id.
 */
import { expandDistribution } from '../../formats/expand';
import type { Series, Store } from '../../store/store';
import { encodeWriteRequest, RwSeries, varintLen, writeSampleValue, writeVarint } from './protobuf';

interface Entry {
  /** The series' Label fields (protobuf bytes, held as a one-byte string). */
  readonly bytes: string;
  /** The tick that wrote it last. */
  tick: number;
}

function rwLabels(name: string, labels: Readonly<Record<string, string>>, extra: readonly [string, string] | undefined): Array<readonly [string, string]> {
  const l: Array<[string, string]> = [['__name__', name]];
  for (const k of Object.keys(labels)) l.push([k, labels[k]!]);
  if (extra) l.push([extra[0], extra[1]]);
  l.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return l;
}

/** Called with each request body: a view of the encoder's buffer, valid until the call returns. */
export type BodySink = (body: Buffer) => void;

export class StoreEncoderV1 {
  readonly #extra: Readonly<Record<string, string>>;
  readonly #hasExtra: boolean;
  readonly #entries = new Map<number, Entry>();
  /** The last tick's walk: the series written at each place and its entry (reused, cut to the walk's length). */
  readonly #walkSeries: Series[] = [];
  readonly #walkEntry: Entry[] = [];
  /** Per place of the walk: the request it was written to, where its TimeSeries starts there, where its value is. */
  #placeBody = new Int32Array(1024);
  #placeStart = new Int32Array(1024);
  #placeValue = new Int32Array(1024);
  #tick = 0;
  /** The requests of the last tick, by their place in it (each grows to its largest request, kept). */
  readonly #bodies: Buffer[] = [];
  /** The request being written: its place in the tick, its buffer and the end of what is written. */
  #body = 0;
  #buf: Buffer = EMPTY;
  #pos = 0;
  /** The open request's buffer still holds the last tick's bytes of that request from #pos on (every series written
   * so far was at its place and offset of the last tick, written over in place). */
  #same = false;
  /** Where a new series' Label fields are written before they are kept. */
  #scratch = Buffer.allocUnsafe(1024);
  #inBody = 0;
  #per = 1;
  #sink: BodySink = () => undefined;
  /** The last sample timestamp's varint (most ticks write one timestamp for every series). */
  #tsFor = NaN;
  readonly #tsBytes = Buffer.alloc(10);
  #tsLen = 0;

  constructor(extraLabels: Readonly<Record<string, string>> = {}) {
    this.#extra = extraLabels;
    this.#hasExtra = Object.keys(extraLabels).length > 0;
  }

  /** Series ids whose label bytes are kept. */
  get cached(): number {
    return this.#entries.size;
  }

  /**
   * Writes the store's series (and `extra`, e.g. staleness markers) as uncompressed WriteRequest bodies of at most
   * `per` time series each, handing each to `sink`; returns the number of time series written.
   */
  encode(store: Store, nowMs: number, per: number, filter: ((s: Series) => boolean) | undefined, extra: readonly RwSeries[], sink: BodySink): number {
    const tick = ++this.#tick;
    this.#body = 0;
    this.#open();
    this.#per = Math.max(1, per);
    this.#sink = sink;
    const walkSeries = this.#walkSeries;
    const walkEntry = this.#walkEntry;
    let count = 0;
    let at = 0;
    let done = false;
    try {
      for (const fam of store.families()) {
        for (const s of fam.series.values()) {
          if (filter && !filter(s)) continue;
          const ts = s.timestampMs ?? nowMs;
          if (s.dist) {
            const labels = this.#hasExtra ? { ...this.#extra, ...s.labels } : s.labels;
            const list: RwSeries[] = [];
            expandDistribution(fam.type, s.dist, (suffix, label, labelValue, v) =>
              list.push({ labels: rwLabels(fam.name + suffix, labels, label ? [label, labelValue] : undefined), samples: [[v, ts]] }),
            );
            this.#appendSeries(list);
            count += list.length;
            continue;
          }
          if (ts !== this.#tsFor) {
            this.#tsFor = ts;
            this.#tsLen = writeVarint(this.#tsBytes, 0, ts);
          }
          let e: Entry | undefined;
          if (at < walkSeries.length && walkSeries[at] === s) {
            e = walkEntry[at]!;
            if (this.#same && this.#placeBody[at] === this.#body && this.#placeStart[at] === this.#pos && this.#overwrite(this.#placeValue[at]!, s.value)) {
              e.tick = tick;
              at++;
              count++;
              if (++this.#inBody >= this.#per) this.#flush();
              continue;
            }
          } else {
            e = this.#entries.get(s.id);
            if (!e) {
              e = { bytes: this.#labelBytes(fam.name, s), tick };
              this.#entries.set(s.id, e);
            }
            walkSeries[at] = s;
            walkEntry[at] = e;
          }
          e.tick = tick;
          this.#same = false;
          if (at >= this.#placeBody.length) this.#growPlaces();
          this.#placeBody[at] = this.#body;
          this.#placeStart[at] = this.#pos;
          this.#placeValue[at] = this.#writeSeries(e.bytes, s.value);
          at++;
          count++;
          if (++this.#inBody >= this.#per) this.#flush();
        }
      }
      if (extra.length > 0) {
        this.#appendSeries(extra);
        count += extra.length;
      }
      this.#flush();
      done = true;
    } finally {
      this.#sink = () => undefined;
      // The walk's arrays keep no series past its end (they would hold removed series). After an error the
      // requests' buffers are not what the places say: nothing is written over in place next tick.
      if (!done) at = 0;
      if (walkSeries.length > at) {
        walkSeries.length = at;
        walkEntry.length = at;
      }
      // Buffers of requests this tick did not write are let go (the open, empty one past the last included).
      if (this.#bodies.length > this.#body) this.#bodies.length = this.#body;
      this.#buf = EMPTY;
    }
    if (this.#entries.size > at * 2 + 1024) for (const [id, e] of this.#entries) if (e.tick !== tick) this.#entries.delete(id);
    return count;
  }

  /** Opens request #body in its kept buffer (a new one past the last tick's count). */
  #open(): void {
    const kept = this.#bodies[this.#body];
    this.#same = kept !== undefined;
    this.#buf = kept ?? (this.#bodies[this.#body] = Buffer.allocUnsafe(1 << 16));
    this.#pos = 0;
    this.#inBody = 0;
  }

  /**
   * Writes `value` and this tick's timestamp over the Sample whose value is at `at`, when that Sample's timestamp
   * takes as many bytes (its length byte, two before the value, says); false (nothing written) when it does not.
   */
  #overwrite(at: number, value: number): boolean {
    const buf = this.#buf;
    const tsLen = this.#tsLen;
    if (buf[at - 2] !== 10 + tsLen) return false;
    writeSampleValue(buf, at, value, false);
    let pos = at + 9;
    const tsb = this.#tsBytes;
    for (let i = 0; i < tsLen; i++) buf[pos++] = tsb[i]!;
    this.#pos = pos;
    return true;
  }

  #growPlaces(): void {
    const n = this.#placeBody.length * 2;
    const grow = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.#placeBody = grow(this.#placeBody);
    this.#placeStart = grow(this.#placeStart);
    this.#placeValue = grow(this.#placeValue);
  }

  #flush(): void {
    if (this.#inBody === 0) return;
    const body = this.#buf.subarray(0, this.#pos);
    this.#body++;
    this.#open();
    this.#sink(body);
  }

  /** Series through the plain encoder, filling the open body up to `per` first. */
  #appendSeries(list: readonly RwSeries[]): void {
    this.#same = false;
    let i = 0;
    while (i < list.length) {
      const n = Math.min(list.length - i, this.#per - this.#inBody);
      this.#append(encodeWriteRequest(i === 0 && n === list.length ? list : list.slice(i, i + n)));
      i += n;
      this.#inBody += n;
      if (this.#inBody >= this.#per) this.#flush();
    }
  }

  #labelBytes(name: string, s: Series): string {
    const labels = this.#hasExtra ? { ...this.#extra, ...s.labels } : s.labels;
    const ascii = this.#asciiLabelBytes(name, labels);
    if (ascii !== undefined) return ascii;
    const one = encodeWriteRequest([{ labels: rwLabels(name, labels, undefined), samples: [] }]);
    // Skip the TimeSeries field's tag and length: what is left is its Label fields.
    let i = 1;
    while (one[i]! >= 128) i++;
    return one.toString('latin1', i + 1);
  }

  /**
   * The Label fields of an all-ASCII label set written byte by byte into a scratch buffer and read out once (a
   * series' first tick would otherwise cost a dozen buffer calls); undefined when a name or value is not ASCII.
   */
  #asciiLabelBytes(name: string, labels: Readonly<Record<string, string>>): string | undefined {
    if (Object.hasOwn(labels, '__name__')) return undefined;
    const names = Object.keys(labels);
    names.push('__name__');
    names.sort();
    let need = 0;
    for (const k of names) need += 12 + k.length + (k === '__name__' ? name.length : labels[k]!.length);
    if (this.#scratch.length < need) this.#scratch = Buffer.allocUnsafe(Math.max(need, this.#scratch.length * 2));
    const b = this.#scratch;
    let pos = 0;
    for (const k of names) {
      const v = k === '__name__' ? name : labels[k]!;
      const nl = k.length;
      const vl = v.length;
      b[pos++] = 0x0a;
      pos = writeVarint(b, pos, 1 + varintLen(nl) + nl + 1 + varintLen(vl) + vl);
      b[pos++] = 0x0a;
      pos = writeAscii(b, writeVarint(b, pos, nl), k);
      if (pos < 0) return undefined;
      b[pos++] = 0x12;
      pos = writeAscii(b, writeVarint(b, pos, vl), v);
      if (pos < 0) return undefined;
    }
    return b.toString('latin1', 0, pos);
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    // A quarter more at a time: every request of a tick keeps its buffer, so slack is paid once per request.
    const next = Buffer.allocUnsafe(Math.max(Math.ceil(this.#buf.length * 1.25), this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
    this.#bodies[this.#body] = next;
  }

  #append(bytes: Buffer): void {
    this.#room(bytes.length);
    bytes.copy(this.#buf, this.#pos);
    this.#pos += bytes.length;
  }

  /** One TimeSeries: its kept Label fields and one Sample (this tick's timestamp, #tsBytes); returns where its value is. */
  #writeSeries(labelBytes: string, value: number): number {
    const tsVarLen = this.#tsLen;
    const sampleLen = 9 + 1 + tsVarLen;
    const tsLen = labelBytes.length + 2 + sampleLen;
    this.#room(tsLen + 6);
    const buf = this.#buf;
    let pos = this.#pos;
    buf[pos++] = 0x0a;
    pos = tsLen < 128 ? ((buf[pos] = tsLen), pos + 1) : writeVarint(buf, pos, tsLen);
    pos += buf.write(labelBytes, pos, 'latin1');
    buf[pos++] = 0x12;
    buf[pos++] = sampleLen;
    buf[pos++] = 0x09;
    const at = pos;
    writeSampleValue(buf, pos, value, false);
    pos += 8;
    buf[pos++] = 0x10;
    const tsb = this.#tsBytes;
    for (let i = 0; i < tsVarLen; i++) buf[pos++] = tsb[i]!;
    this.#pos = pos;
    return at;
  }
}

const EMPTY = Buffer.alloc(0);

/** Writes `s` byte per character at `pos` (the caller made room); the end, or -1 at the first non-ASCII character. */
function writeAscii(b: Buffer, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    b[pos++] = c;
  }
  return pos;
}
