// A sample timestamp before 1970 (negative milliseconds) is an int64 protobuf writes as ten bytes. It used to be
// written as one byte with its continuation bit set, so a receiver read the next field into the timestamp.
import t from 'tap';
import { decodeWriteRequestV1 } from '../../agent/collectors/remote-write-receive/decode';
import { int64FromVarintBytes } from '../../agent/formats/int64-varint';
import { decodeRequestV2 } from '../../agent/report/remote-write/decode-v2';
import { decodeWriteRequest, encodeWriteRequest, varintLen, writeVarint } from '../../agent/report/remote-write/protobuf';
import { encodeRequestV2 } from '../../agent/report/remote-write/protobuf-v2';

const stamps = [-1, -1000, -86_400_000, -1_700_000_000_123, -(2 ** 53 - 1), 0, 1, 1_700_000_000_123];

t.test('a negative int64 is ten bytes of two’s complement and reads back exactly', async (t) => {
  for (const n of stamps) {
    const buf = Buffer.alloc(10);
    const end = writeVarint(buf, 0, n);
    t.equal(end, varintLen(n), `length of ${n}`);
    if (n < 0) {
      t.equal(end, 10, `${n}: ten bytes`);
      t.equal(buf[9], 1, `${n}: the last byte holds the sign bit`);
    }
    t.equal(int64FromVarintBytes(buf, 0, end), n, `${n} reads back`);
  }
});

t.test('remote write bodies with timestamps before 1970 decode to the same samples and labels', async (t) => {
  const series = stamps.map((ts, i) => ({ labels: [['__name__', 'old_total'] as const, ['i', String(i)] as const], samples: [[i + 0.5, ts] as const] }));
  const body = encodeWriteRequest(series);
  const received = decodeWriteRequestV1(body);
  t.equal(received.length, stamps.length, 'every series');
  received.forEach((s, i) => {
    t.same(
      s.labels,
      [
        ['__name__', 'old_total'],
        ['i', String(i)],
      ],
      `labels of ${i}`,
    );
    t.same(
      s.samples.map((x) => [x[0], x[1]]),
      [[i + 0.5, stamps[i]]],
      `sample of ${stamps[i]}`,
    );
  });
  t.same(
    decodeWriteRequest(body).map((s) => s.samples),
    series.map((s) => s.samples),
    'the encoder’s own decoder agrees',
  );
});

t.test('remote write 2.0 bodies with timestamps before 1970 decode back exactly (the 2.0 → 1.0 fallback re-encodes them)', async (t) => {
  const series = stamps.map((ts, i) => ({ labels: [['__name__', 'old_total'] as const, ['i', String(i)] as const], samples: [[i + 0.5, ts] as const] }));
  const back = decodeRequestV2(encodeRequestV2(series)).series;
  t.same(
    back.map((s) => s.samples),
    series.map((s) => s.samples),
    'every timestamp',
  );
  t.same(
    decodeWriteRequestV1(encodeWriteRequest(back)).map((s) => s.samples[0]![1]),
    stamps,
    'and through the 1.0 re-encoding',
  );
});
