import zlib from 'node:zlib';
import t from 'tap';
import { inflatePayload, SYNC_INFLATE_BYTES } from '../../agent/aggregator/inflate';
import { compressSync } from '../../agent/wire/codec';
import { Codec } from '../../agent/wire/frame';

const codecs: Array<[string, Codec]> = [
  ['gzip', Codec.gzip],
  ['deflate', Codec.deflate],
  ['brotli', Codec.brotli],
];

/** Runs `p` while counting turns of the event loop (a setImmediate chain). */
async function turnsDuring<T>(p: () => Promise<T>): Promise<{ turns: number; result: PromiseSettledResult<T> }> {
  let turns = 0;
  let on = true;
  const tick = () => {
    if (!on) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const [result] = await Promise.allSettled([p()]);
  on = false;
  return { turns, result: result! };
}

t.test('a decompression bomb is inflated off the event loop in chunks and refused at the limit', async (t) => {
  const zeros = Buffer.alloc(64 << 20);
  for (const [name, codec] of codecs) {
    const bomb = compressSync(codec, zeros, 1);
    const max = 16 << 20;
    const { turns, result } = await turnsDuring(() => inflatePayload(codec, bomb, max));
    t.equal(result.status, 'rejected', `${name}: refused`);
    t.equal(((result as PromiseRejectedResult).reason as { code?: string }).code, 'ERR_BUFFER_TOO_LARGE', `${name}: as too large`);
    // 16 MiB at 256 KiB a chunk: the loop turns between the chunks instead of waiting for all of them at once.
    t.ok(turns >= max / (1 << 20), `${name}: the event loop turned ${turns} times meanwhile`);
  }
});

t.test('both ways give the same bytes and refuse the same inputs', async (t) => {
  const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i} ${(i * 7919) % 1000}\n`).join(''));
  t.ok(text.length > SYNC_INFLATE_BYTES, 'past the synchronous part');
  for (const [name, codec] of codecs) {
    const packed = compressSync(codec, text, 1);
    t.same(await inflatePayload(codec, packed, text.length), text, `${name}: streamed, exactly at the limit`);
    t.same(await inflatePayload(codec, packed, text.length, 1 << 30), text, `${name}: synchronous`);
    await t.rejects(inflatePayload(codec, packed, text.length - 1), { code: 'ERR_BUFFER_TOO_LARGE' }, `${name}: one byte past the limit`);
    await t.rejects(inflatePayload(codec, packed.subarray(0, packed.length - 10), text.length), `${name}: truncated`);
  }
  const raw = zlib.deflateRawSync(text);
  await t.rejects(inflatePayload(Codec.deflate, Buffer.concat([raw, Buffer.from('trailing')]), 1 << 20), /after the end/, 'bytes after the stream, streamed');
  await t.rejects(inflatePayload(Codec.deflate, Buffer.concat([raw, Buffer.from('trailing')]), 1 << 20, 1 << 30), 'bytes after the stream, synchronous');
  await t.rejects(inflatePayload(Codec.deflate, Buffer.from('not deflate at all, not at all'), 1 << 20), 'garbage');
  t.same(await inflatePayload(Codec.none, Buffer.from('abc'), 3), Buffer.from('abc'), 'uncompressed within the limit');
  await t.rejects(inflatePayload(Codec.none, Buffer.from('abcd'), 3), { code: 'ERR_BUFFER_TOO_LARGE' }, 'uncompressed past it');
});
