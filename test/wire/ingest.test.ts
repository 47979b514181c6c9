import t from 'tap';
import { ACK_BODIES, ingestPath, parseFrameAnswers } from '../../agent/wire/ingest';

t.test('the ingest path sits under the endpoint, whatever its trailing slashes', async (t) => {
  t.equal(ingestPath(new URL('http://127.0.0.1:9478')), '/api/v1/ingest');
  t.equal(ingestPath(new URL('http://127.0.0.1:9478/')), '/api/v1/ingest');
  t.equal(ingestPath(new URL('https://agg.example/outrider//')), '/outrider/api/v1/ingest');
});

t.test('the one-frame answers are the JSON the agent reads', async (t) => {
  for (const [status, body] of Object.entries(ACK_BODIES)) t.same(JSON.parse(body.toString()), { status });
});

t.test('per-frame outcomes: only a frames answer gives them, entries without epoch, seq and status are left out', async (t) => {
  const body = JSON.stringify({
    status: 'frames',
    results: [{ epoch: 5, seq: 1, status: 'applied' }, { epoch: 5, seq: 2, status: 'error', http_status: 409, code: 'X' }, { seq: 3, status: 'applied' }, null, 7],
  });
  t.same(parseFrameAnswers(body), [
    { epoch: 5, seq: 1, status: 'applied' },
    { epoch: 5, seq: 2, status: 'error', http_status: 409, code: 'X' },
  ]);
  t.equal(parseFrameAnswers('{"status":"applied"}'), undefined);
  t.equal(parseFrameAnswers('{"status":"frames"}'), undefined);
  t.equal(parseFrameAnswers('not json'), undefined);
});
