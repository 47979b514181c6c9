/** A request body of several frames back to back (a replayed run of spooled batches). */
import t from 'tap';
import { counterDefs, frame, payload, post, startAggregator, tmpDir } from './helpers';

const metrics = async (url: string) => (await fetch(url + '/metrics')).text();

t.test('several frames in one body: each applied once, one outcome per frame; the same body again is all duplicates', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const url = agg.url();
  const body = Buffer.concat([
    frame(payload({ ...counterDefs, scalars: [10, 5, 11, 20] }), 100, 1),
    frame(payload({ scalars: [10, 8] }), 100, 2),
    frame(payload({ scalars: [10, 9, 11, 21] }), 100, 3),
  ]);
  t.same(await post(url, body), {
    status: 200,
    json: {
      status: 'frames',
      results: [
        { epoch: 100, seq: 1, status: 'applied' },
        { epoch: 100, seq: 2, status: 'applied' },
        { epoch: 100, seq: 3, status: 'applied' },
      ],
    },
  });
  t.same((await post(url, body)).json.results, [
    { epoch: 100, seq: 1, status: 'duplicate' },
    { epoch: 100, seq: 2, status: 'duplicate' },
    { epoch: 100, seq: 3, status: 'duplicate' },
  ]);
  const text = await metrics(url);
  t.match(text, /reqs_total\{path="\/a"\} 9\n/, 'applied once each');
  t.match(text, /temp\{instance="a1"\} 21 \d+\n/);
});

t.test('a frame refused in the middle: the ones before are applied, it gets its own error, the ones after are untouched', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const url = agg.url();
  const bad = frame(payload({ scalars: [10, 7] }), 100, 2);
  bad[bad.length - 1] ^= 0xff;
  const unknown = frame(payload({ scalars: [99, 1] }), 100, 2);
  const third = frame(payload({ scalars: [10, 9] }), 100, 3);
  const r1 = await post(url, Buffer.concat([frame(payload({ ...counterDefs, scalars: [10, 5] }), 100, 1), bad, third]));
  t.equal(r1.status, 200);
  const res1 = r1.json.results as Array<Record<string, unknown>>;
  t.equal(res1.length, 2, 'nothing after the refused frame');
  t.same(res1[0], { epoch: 100, seq: 1, status: 'applied' });
  t.match(res1[1], { epoch: 100, seq: 2, status: 'error', http_status: 400, code: 'OUTRIDER_ERR_AGG_BAD_CHECKSUM' });
  const r2 = await post(url, Buffer.concat([unknown, third]));
  const res2 = r2.json.results as Array<Record<string, unknown>>;
  t.match(res2, [{ seq: 2, status: 'error', http_status: 409, code: 'OUTRIDER_ERR_AGG_UNKNOWN_SERIES', missing: [99] }]);
  t.same(await post(url, third), { status: 200, json: { status: 'applied' } }, 'the frame after the refusal was not applied');
});

t.test('a body that does not split into whole frames is refused as a whole, nothing applied', async (t) => {
  const agg = await startAggregator(tmpDir(t));
  t.teardown(() => agg.stop());
  const url = agg.url();
  const f1 = frame(payload({ ...counterDefs, scalars: [10, 5] }), 100, 1);
  const f2 = frame(payload({ scalars: [10, 6] }), 100, 2);
  const cut = await post(url, Buffer.concat([f1, f2.subarray(0, f2.length - 3)]));
  t.match(cut, { status: 400, json: { code: 'OUTRIDER_ERR_AGG_BAD_FRAME' } });
  const junk = await post(url, Buffer.concat([f1, Buffer.from('garbage that is not a frame header at all, forty+ bytes')]));
  t.match(junk, { status: 400, json: { code: 'OUTRIDER_ERR_AGG_BAD_FRAME' } });
  t.same(await post(url, f1), { status: 200, json: { status: 'applied' } }, 'the first frame of the refused bodies was not applied');
});

t.test('a run of exactly aggregator.max_body bytes is accepted; one byte more is a 413', async (t) => {
  const body = Buffer.concat([frame(payload({ ...counterDefs, scalars: [10, 5, 11, 20] }), 100, 1), frame(payload({ scalars: [10, 8] }), 100, 2)]);
  const exact = await startAggregator(tmpDir(t), { maxBodyBytes: body.length });
  t.teardown(() => exact.stop());
  t.equal((await post(exact.url(), body)).status, 200, `${body.length} bytes with a ${body.length}-byte limit`);
  const under = await startAggregator(tmpDir(t), { maxBodyBytes: body.length - 1 });
  t.teardown(() => under.stop());
  const r = await post(under.url(), body);
  t.equal(r.status, 413);
  t.equal(r.json.code, 'OUTRIDER_ERR_AGG_TOO_LARGE');
});
