/**
 * Bytes on the wire per sample at steady state, same series, same run: our protocol with interning (ids after the
 * first batch), without interning (definitions in every batch), and Prometheus remote write 1.0 (protobuf + snappy);
 * plus every payload codec's size and time. Run: node dist/bench/report-wire.js
 */
import { Batcher } from '../agent/report/batcher';
import { compressSync, decompressSync } from '../agent/wire/codec';
import { Codec, encodeFrame, FrameKind } from '../agent/wire/frame';
import { encodePayload } from '../agent/wire/payload';
import { encodeRemoteWrite } from '../agent/report/remote-write/output';
import { storeToSeries } from '../agent/report/remote-write/from-store';
import { Store } from '../agent/store/store';
import { churn, fixtureStore } from './report-fixture';

const SERIES = Number(process.env.SERIES ?? 2000);
const ROUNDS = 20;
const store = fixtureStore(SERIES);
const batcher = new Batcher(store, { maxSamples: 100_000, maxBytes: 64 << 20 });
const plainBatcher = new Batcher(store, { maxSamples: 100_000, maxBytes: 64 << 20 });
// First flush defines everything.
for (const c of batcher.collect(true)) encodePayload(batcher.payload(c, 'host-1', Date.now(), {}));
plainBatcher.collect(true);
let lastGen = store.generation;

const codecs: Array<[string, Codec, number]> = [
  ['none', Codec.none, 0],
  ['gzip-1', Codec.gzip, 1],
  ['gzip-6', Codec.gzip, 6],
  ['deflate-1', Codec.deflate, 1],
  ['deflate-6', Codec.deflate, 6],
  ['brotli-1', Codec.brotli, 1],
  ['brotli-5', Codec.brotli, 5],
];
const sizes = new Map<string, { bytes: number; ns: bigint; dns: bigint }>();
let interned = 0;
let plain = 0;
let rw = 0;
let samples = 0;
const raws: Buffer[] = [];
async function main(): Promise<void> {
  for (let r = 1; r <= ROUNDS; r++) {
    churn(store, 0.5, r);
    for (const c of batcher.collect(false)) {
      samples += c.entries.length;
      const raw = encodePayload(batcher.payload(c, 'host-1', Date.now(), { version: '0.1.0' }));
      raws.push(raw);
      interned += encodeFrame(FrameKind.batch, Codec.deflate, 1, r, compressSync(Codec.deflate, raw, 1)).length;
    }
    for (const c of plainBatcher.collect(false)) {
      plainBatcher.resetScope();
      const rawPlain = encodePayload(plainBatcher.payload(c, 'host-1', Date.now(), { version: '0.1.0' }));
      plain += encodeFrame(FrameKind.batch, Codec.deflate, 1, r, compressSync(Codec.deflate, rawPlain, 1)).length;
    }
    // Remote write of exactly the series that changed this round.
    const changedStore = new Store({ maxSeries: 10_000_000 });
    for (const fam of store.families()) for (const s of fam.series.values()) if (s.changedGen > lastGen) changedStore.set(fam, s.labels, s.value);
    rw += (await encodeRemoteWrite(storeToSeries(changedStore, Date.now()))).length;
    lastGen = store.generation;
  }

  const per = (b: number) => (b / samples).toFixed(2);
  // Codecs: every steady-state payload of the run, best of 5 passes (the machine is shared).
  for (const [name, codec, level] of codecs) {
    let bytes = 0;
    let best = Infinity;
    let bestD = Infinity;
    for (let pass = 0; pass < 5; pass++) {
      const t0 = process.hrtime.bigint();
      const zs = raws.map((r) => compressSync(codec, r, level));
      const t1 = process.hrtime.bigint();
      for (const z of zs) decompressSync(codec, z, 1 << 30);
      const t2 = process.hrtime.bigint();
      best = Math.min(best, Number(t1 - t0));
      bestD = Math.min(bestD, Number(t2 - t1));
      bytes = zs.reduce((a, z) => a + z.length + 40, 0);
    }
    sizes.set(name, { bytes, ns: BigInt(Math.round(best)), dns: BigInt(Math.round(bestD)) });
  }
  console.log(`series ${SERIES}, ${ROUNDS} flushes, 50% of series changing per flush, ${samples} samples`);
  console.log(`bytes/sample  ours interned (deflate-1): ${per(interned)}   ours without interning: ${per(plain)}   remote write 1.0 (snappy): ${per(rw)}`);
  console.log(`ratio ours/remote write: ${(interned / rw).toFixed(3)}  (target <= 0.333)`);
  for (const [name, e] of sizes)
    console.log(`codec ${name.padEnd(10)} ${per(e.bytes)} B/sample  compress ${(Number(e.ns) / samples).toFixed(0)} ns/sample  decompress ${(Number(e.dns) / samples).toFixed(0)} ns/sample`);
}

void main().then(() => process.exit(0));
