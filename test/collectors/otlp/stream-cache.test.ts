/**
 * StreamCache finds a stream by its key bytes, compared four bytes at a step with the rest one by one: keys that share
 * a hash and a length but differ in any byte (in a four-byte step or in the tail, with the kept key at any offset in
 * its slab and the asked bytes at any offset in theirs) are different streams; equal bytes find the stream kept.
 */
import t from 'tap';
import { StreamCache, type MetricContext } from '../../../agent/collectors/otlp/stream-cache';

const ctxOf = (cache: StreamCache, key: string): MetricContext => cache.context(key, () => ({ desc: { name: key, type: 'gauge', help: '' }, base: {}, delta: false }));

/** `bytes` at `offset` in a larger buffer, as the receiver sees a key inside a request body. */
function inBody(bytes: number[], offset: number): { dv: DataView; start: number; end: number; buf: Buffer } {
  const buf = Buffer.alloc(offset + bytes.length + 5, 0xee);
  buf.set(bytes, offset);
  return { dv: new DataView(buf.buffer, buf.byteOffset, buf.length), start: offset, end: offset + bytes.length, buf };
}

t.test('keys of one hash and length are told apart by every byte, whatever their offsets', async (t) => {
  for (const len of [1, 3, 4, 7, 8, 13]) {
    for (const keptAt of [0, 1, 3]) {
      const cache = new StreamCache();
      const ctx = ctxOf(cache, 'g');
      // Moves the slab's fill point so the kept key starts at `keptAt`.
      if (keptAt > 0) cache.add(ctx, 999, Buffer.alloc(keptAt, 1), 0, keptAt, {});
      const key = Array.from({ length: len }, (_, i) => (i * 37 + 11) & 0xff);
      const kept = inBody(key, 2);
      const e = cache.add(ctx, 7, kept.buf, kept.start, kept.end, { k: 'kept' });
      for (const askAt of [0, 1, 2, 5]) {
        const same = inBody(key, askAt);
        t.equal(cache.find(ctx, 7, same.dv, same.start, same.end), e, `len ${len}, kept at ${keptAt}, asked at ${askAt}: found`);
        for (let i = 0; i < len; i++) {
          const other = key.slice();
          other[i] = other[i]! ^ 0x80;
          const o = inBody(other, askAt);
          t.equal(cache.find(ctx, 7, o.dv, o.start, o.end), undefined, `len ${len}, byte ${i} differs: not found`);
        }
        const longer = inBody([...key, 0], askAt);
        t.equal(cache.find(ctx, 7, longer.dv, longer.start, longer.end), undefined, 'a longer key is another stream');
      }
      t.equal(cache.find(ctxOf(cache, 'h'), 7, kept.dv, kept.start, kept.end), undefined, 'the same bytes under another context are another stream');
    }
  }
});

t.test('two streams of one hash are both found', async (t) => {
  const cache = new StreamCache();
  const ctx = ctxOf(cache, 'g');
  const a = inBody([1, 2, 3, 4, 5], 0);
  const b = inBody([1, 2, 3, 4, 6], 0);
  const ea = cache.add(ctx, 42, a.buf, a.start, a.end, { k: 'a' });
  const eb = cache.add(ctx, 42, b.buf, b.start, b.end, { k: 'b' });
  t.equal(cache.find(ctx, 42, a.dv, a.start, a.end), ea);
  t.equal(cache.find(ctx, 42, b.dv, b.start, b.end), eb);
  t.equal(cache.size, 2);
});

t.test('an empty key (a point without attributes) is a stream of its own', async (t) => {
  const cache = new StreamCache();
  const ctx = ctxOf(cache, 'g');
  const none = inBody([], 3);
  const e = cache.add(ctx, 5, none.buf, none.start, none.end, {});
  t.equal(cache.find(ctx, 5, none.dv, none.start, none.end), e);
  const one = inBody([0], 3);
  t.equal(cache.find(ctx, 5, one.dv, one.start, one.end), undefined);
});
