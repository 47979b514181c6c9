import fc from 'fast-check';
import t from 'tap';
import { BitReader, BitWriter } from '../../agent/history/bits';
import { isStaleNaN, STALE_NAN } from '../../agent/history/types';
import { decodeXor, XorEncoder } from '../../agent/history/xor-chunk';

/** Encodes and decodes `patterns` (IEEE-754 bit patterns, held in typed arrays so no NaN payload is touched). */
function roundTrip(patterns: readonly bigint[]): BigUint64Array {
  const input = new BigUint64Array(patterns);
  const words = new Uint32Array(input.buffer);
  const enc = new XorEncoder(1);
  // Little- or big-endian alike: the high word is the one that holds the sign and exponent of 1.0.
  const hiIdx = new Uint32Array(new Float64Array([1]).buffer)[1] === 0x3ff00000 ? 1 : 0;
  for (let i = 0; i < input.length; i++) enc.appendBits(words[2 * i + hiIdx]!, words[2 * i + 1 - hiIdx]!);
  const out = decodeXor(enc.finish(), input.length);
  return new BigUint64Array(out.buffer);
}

const STALE = 0x7ff0000000000002n;
const NAN = 0x7ff8000000000000n;
const b = (v: number): bigint => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v);
  return dv.getBigUint64(0);
};
// Bit patterns as Gorilla sees them in practice (repeats, counters, gauges) and at the edges of the format.
const special = fc.constantFrom(STALE, NAN, 0x7ff8000000000002n, 0xfff0000000000001n, b(Infinity), b(-Infinity), b(0), b(-0), 1n, b(-Number.MAX_VALUE), b(1), b(0.1));
const pattern = fc.oneof(
  special,
  fc.double({ noNaN: true }).map(b),
  fc.integer().map((i) => b(i / 100)),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);

t.test('bit writer and reader agree for any widths', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 0xffffffff })), { maxLength: 200 }), (fields) => {
      const w = new BitWriter(1);
      for (const [n, v] of fields) w.write(v, n);
      const r = new BitReader(w.finish());
      for (const [n, v] of fields) {
        const want = n === 0 ? 0 : n === 32 ? v >>> 0 : v & ((1 << n) - 1);
        if (r.read(n) !== want) return false;
      }
      return true;
    }),
  );
  t.pass('round trip');
});

t.test('XOR chunks round-trip every bit pattern: NaN payloads, the staleness marker, ±Inf, -0', async (t) => {
  fc.assert(
    fc.property(fc.array(pattern, { minLength: 1, maxLength: 300 }), (patterns) => {
      const out = roundTrip(patterns);
      return patterns.every((p, i) => out[i] === p);
    }),
    { numRuns: 500 },
  );
  const out = roundTrip([b(1), STALE, NAN, STALE]);
  t.same([...out], [b(1), STALE, NAN, STALE]);
  const values = new Float64Array(out.buffer);
  t.ok(isStaleNaN(values[1]!), 'the staleness marker reads as one');
  t.notOk(isStaleNaN(values[2]!), 'an ordinary NaN stays ordinary');
  t.ok(Number.isNaN(values[2]!));
});

t.test('append(number) keeps ordinary values, ±Inf and -0', async (t) => {
  const values = [0, -0, Infinity, -Infinity, 1.5, 1e-300, -7];
  const enc = new XorEncoder();
  for (const v of values) enc.append(v);
  const out = decodeXor(enc.finish(), values.length);
  values.forEach((v, i) => t.ok(Object.is(out[i], v), String(v)));
  t.ok(isStaleNaN(STALE_NAN));
});

t.test('a constant series costs one bit per sample after the first', async (t) => {
  const enc = new XorEncoder();
  for (let i = 0; i < 120; i++) enc.append(42.5);
  t.equal(enc.bitLength, 64 + 119);
});

t.test('a prefix of a chunk decodes on its own (open chunks are read while they grow)', async (t) => {
  const enc = new XorEncoder();
  const values = [1, 2, 2, 3.5, -7, 1e300, NaN];
  for (const v of values) enc.append(v);
  t.same([...decodeXor(enc.view(), 4)], values.slice(0, 4));
});
