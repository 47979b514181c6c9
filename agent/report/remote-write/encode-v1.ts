/**
 * Remote write 1.0 request bodies straight from the store, for an output that writes every tick: the Label messages
 * of each plain (counter, gauge, untyped) series are encoded once, kept by series id, and copied into each tick's
 * request next to the new sample, so a tick costs one copy and a few varints per series instead of a label array, a
 * sort and a UTF-8 encode. A series' labels and family never change for the life of its id, so an entry never goes
 * out of date; entries of series no longer in the store are dropped when they outnumber the live ones.
 * Distributions (expanded the Prometheus way) and staleness markers go through the plain encoder and are appended:
 * a WriteRequest is its TimeSeries fields one after another.
 */
import { expandDistribution } from '../../formats/expand';
import type { Series, Store } from '../../store/store';
import { encodeWriteRequest, RwSeries, varintLen, writeSampleValue, writeVarint } from './protobuf';

interface Entry {
  /** The series' Label fields (protobuf bytes, held as a one-byte string). */
  bytes: string;
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

export class StoreEncoderV1 {
  readonly #extra: Readonly<Record<string, string>>;
  readonly #hasExtra: boolean;
  readonly #entries = new Map<number, Entry>();
  #tick = 0;
  /** Scratch space one request is written into before it is copied out (grows to the largest request). */
  #buf = Buffer.allocUnsafe(1 << 16);
  #pos = 0;

  constructor(extraLabels: Readonly<Record<string, string>> = {}) {
    this.#extra = extraLabels;
    this.#hasExtra = Object.keys(extraLabels).length > 0;
  }

  /** Series ids whose label bytes are kept. */
  get cached(): number {
    return this.#entries.size;
  }

  /**
   * The store's series (and `extra`, e.g. staleness markers) as uncompressed WriteRequest bodies of at most `per`
   * time series each, with the number of time series written.
   */
  encode(store: Store, nowMs: number, per: number, filter: ((s: Series) => boolean) | undefined, extra: readonly RwSeries[]): { bodies: Buffer[]; count: number } {
    const tick = ++this.#tick;
    const bodies: Buffer[] = [];
    let inBody = 0;
    let count = 0;
    let live = 0;
    const flush = () => {
      if (inBody === 0) return;
      bodies.push(Buffer.from(this.#buf.subarray(0, this.#pos)));
      this.#pos = 0;
      inBody = 0;
    };
    const appendSeries = (list: readonly RwSeries[]) => {
      let i = 0;
      while (i < list.length) {
        const part = list.slice(i, i + per - inBody);
        this.#append(encodeWriteRequest(part));
        i += part.length;
        inBody += part.length;
        count += part.length;
        if (inBody >= per) flush();
      }
    };
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
          appendSeries(list);
          continue;
        }
        let e = this.#entries.get(s.id);
        if (!e) {
          e = { bytes: this.#labelBytes(fam.name, s), tick };
          this.#entries.set(s.id, e);
        } else e.tick = tick;
        live++;
        this.#writeSeries(e.bytes, s.value, ts);
        count++;
        if (++inBody >= per) flush();
      }
    }
    if (extra.length > 0) appendSeries(extra);
    flush();
    if (this.#entries.size > live * 2 + 1024) for (const [id, e] of this.#entries) if (e.tick !== tick) this.#entries.delete(id);
    return { bodies, count };
  }

  #labelBytes(name: string, s: Series): string {
    const labels = this.#hasExtra ? { ...this.#extra, ...s.labels } : s.labels;
    const one = encodeWriteRequest([{ labels: rwLabels(name, labels, undefined), samples: [] }]);
    // Skip the TimeSeries field's tag and length: what is left is its Label fields.
    let i = 1;
    while (one[i]! >= 128) i++;
    return one.toString('latin1', i + 1);
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  #append(bytes: Buffer): void {
    this.#room(bytes.length);
    bytes.copy(this.#buf, this.#pos);
    this.#pos += bytes.length;
  }

  /** One TimeSeries: its kept Label fields and one Sample. */
  #writeSeries(labelBytes: string, value: number, ts: number): void {
    const sampleLen = 9 + 1 + varintLen(ts);
    const tsLen = labelBytes.length + 1 + varintLen(sampleLen) + sampleLen;
    this.#room(tsLen + 12);
    const buf = this.#buf;
    let pos = this.#pos;
    buf[pos++] = 0x0a;
    pos = writeVarint(buf, pos, tsLen);
    pos += buf.write(labelBytes, pos, 'latin1');
    buf[pos++] = 0x12;
    pos = writeVarint(buf, pos, sampleLen);
    buf[pos++] = 0x09;
    writeSampleValue(buf, pos, value, false);
    pos += 8;
    buf[pos++] = 0x10;
    this.#pos = writeVarint(buf, pos, ts);
  }
}
