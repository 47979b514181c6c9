import t from 'tap';
import { scanMsgpack } from '../../agent/wire/msgpack-scan';
import { DEFAULT_PAYLOAD_LIMITS, decodePayload, encodePayload, packr, PayloadError } from '../../agent/wire/payload';

const limits = { maxElements: 1000, maxStringBytes: 1000, maxDepth: 8 };

t.test('a valid payload is within the default limits and decodes as before', async (t) => {
  const p = {
    agentId: 'a1',
    sentMs: 5,
    meta: { version: '1' },
    families: [{ fid: 1, name: 'x_total', type: 'counter' as const, help: 'h' }],
    series: [{ sid: 2, fid: 1, labels: ['a', 'b'] }],
    scalars: [2, 3.5],
    dists: [{ sid: 2, count: 1, sum: 2, buckets: [1, 1, Infinity, 1], quantiles: null, sketch: { a: 0.01, p: [[1, 2]] } }],
  };
  const buf = encodePayload(p);
  t.equal(scanMsgpack(buf, DEFAULT_PAYLOAD_LIMITS), undefined);
  t.same(decodePayload(buf, DEFAULT_PAYLOAD_LIMITS).scalars, [2, 3.5]);
});

t.test('a container declaring more values than bytes left is refused at its header', async (t) => {
  // array32 declaring 60 million values, in 5 bytes.
  const b = Buffer.from([0xdd, 0x03, 0x93, 0x87, 0x00]);
  t.match(scanMsgpack(b, limits), { limit: false, message: /declares 60000000 values/ });
  t.match(scanMsgpack(Buffer.from([0xdf, 0xff, 0xff, 0xff, 0xff]), { ...limits, maxElements: 0 }), { limit: false });
});

t.test('values, string bytes and depth are counted while walking and stop at the limit', async (t) => {
  t.match(scanMsgpack(packr.pack(new Array(1001).fill(null)), limits), { limit: true, message: /more than 1000 values/ });
  t.equal(scanMsgpack(packr.pack(new Array(999).fill(null)), limits), undefined);
  t.match(scanMsgpack(packr.pack(['x'.repeat(600), 'y'.repeat(600)]), limits), { limit: true, message: /string bytes/ });
  let deep: unknown = 1;
  for (let i = 0; i < 9; i++) deep = [deep];
  t.match(scanMsgpack(packr.pack(deep), limits), { limit: true, message: /deeper than 8/ });
  t.match(scanMsgpack(Buffer.from([0xd4, 0x01, 0x00]), limits), { limit: false, message: /extension/ });
  t.match(scanMsgpack(Buffer.from([0x91, 0xc1]), limits), { limit: false });
  t.match(scanMsgpack(Buffer.from([0x01, 0x02]), limits), { limit: false, message: /after the document/ });
  t.match(scanMsgpack(Buffer.from([0xdb, 0, 0, 0, 9, 0x61]), limits), { limit: false, message: /ends early/ });
});

t.test('decodePayload with limits refuses a payload whose decoded size is past them, as too_large', async (t) => {
  // [1, 'a1', 1, {}, [], [], <3 million nils>, []]: 3 MB of msgpack that msgpackr would build in full.
  const head = Buffer.from(packr.pack([1, 'a1', 1, {}, [], []]));
  head[0] = 0x98; // fixarray of 8 instead of 6
  const n = 3_000_000;
  const arr = Buffer.alloc(5 + n, 0xc0);
  arr[0] = 0xdd;
  arr.writeUInt32BE(n, 1);
  const body = Buffer.concat([head, arr, Buffer.from([0x90])]);
  t.throws(() => decodePayload(body, DEFAULT_PAYLOAD_LIMITS), { name: 'PayloadError', problem: 'too_large' });
});

t.test('label limits: count, name length, value length, metric name and help', async (t) => {
  const l = { ...DEFAULT_PAYLOAD_LIMITS, labelLimit: 2, labelNameLengthLimit: 5, labelValueLengthLimit: 10 };
  const fam = { fid: 1, name: 'm', type: 'gauge' as const, help: '' };
  const base = { agentId: 'a', sentMs: 1, meta: {}, families: [fam], scalars: [], dists: [] };
  const ok = (labels: string[]) => decodePayload(encodePayload({ ...base, series: [{ sid: 1, fid: 1, labels }] }), l);
  const problem = (p: Parameters<typeof encodePayload>[0]) => {
    try {
      decodePayload(encodePayload(p), l);
      return 'none';
    } catch (e) {
      return (e as PayloadError).problem;
    }
  };
  t.ok(ok(['a', 'b', 'c', 'x'.repeat(10)]));
  t.equal(problem({ ...base, series: [{ sid: 1, fid: 1, labels: ['a', '1', 'b', '2', 'c', '3'] }] }), 'label_limit');
  t.equal(problem({ ...base, series: [{ sid: 1, fid: 1, labels: ['abcdef', '1'] }] }), 'label_limit');
  t.equal(problem({ ...base, series: [{ sid: 1, fid: 1, labels: ['a', 'x'.repeat(11)] }] }), 'label_limit');
  t.equal(problem({ ...base, families: [{ ...fam, name: 'n'.repeat(11) }], series: [] }), 'label_limit');
  t.equal(problem({ ...base, families: [{ ...fam, help: 'h'.repeat(16 * 1024 + 1) }], series: [] }), 'label_limit');
  t.equal(problem({ ...base, series: [{ sid: 1, fid: 1, labels: ['a', 'b'] }] }), 'none');
  // Without limits (the agent reading its own spool) nothing is checked.
  t.ok(decodePayload(encodePayload({ ...base, series: [{ sid: 1, fid: 1, labels: ['a', 'x'.repeat(11)] }] })));
});
