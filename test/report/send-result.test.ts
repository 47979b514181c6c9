import t from 'tap';
import { Aimd, backoffMs, Breaker, classifyStatus, parseRetryAfter, unreachable } from '../../agent/report/send-result';

t.test('statuses map to success, retryable, definitions or failure', async (t) => {
  t.same(classifyStatus(200, undefined, '{"status":"applied"}'), { kind: 'success', duplicate: false });
  t.same(classifyStatus(200, undefined, '{"status":"duplicate"}'), { kind: 'success', duplicate: true });
  t.same(classifyStatus(200, undefined, ' \n{"status":"duplicate"}'), { kind: 'success', duplicate: true }, 'leading blanks');
  for (const body of ['', 'OK', 'duplicate', '["duplicate"]', '{"status":', '{broken']) t.same(classifyStatus(204, undefined, body), { kind: 'success', duplicate: false }, JSON.stringify(body));
  t.same(classifyStatus(503, '7', ''), { kind: 'retryable', reason: 'HTTP 503', retryAfterMs: 7000 });
  t.same(classifyStatus(429, undefined, ''), { kind: 'retryable', reason: 'HTTP 429' });
  t.same(classifyStatus(409, undefined, '{"code":"OUTRIDER_ERR_AGG_UNKNOWN_SERIES","missing":[3,4]}'), { kind: 'definitions', missing: [3, 4] });
  t.match(classifyStatus(400, undefined, 'bad'), { kind: 'failure', status: 400 });
  t.match(classifyStatus(401, undefined, ''), { kind: 'failure', status: 401 });
  t.match(classifyStatus(409, undefined, 'x'), { kind: 'failure', status: 409 });
});

t.test('Retry-After: seconds or HTTP date, capped', async (t) => {
  t.equal(parseRetryAfter('3'), 3000);
  t.equal(parseRetryAfter(new Date(10_000).toUTCString(), 5000), 5000);
  t.equal(parseRetryAfter('99999'), 300_000);
  t.equal(parseRetryAfter('soon'), undefined);
});

t.test('backoff is full jitter under an exponential ceiling', async (t) => {
  t.equal(
    backoffMs(3, 100, 10_000, () => 0.999999),
    799,
  );
  t.equal(
    backoffMs(30, 100, 10_000, () => 0.5),
    5000,
  );
  t.equal(
    backoffMs(3, 100, 10_000, () => 0),
    0,
  );
});

t.test('the breaker opens after consecutive failures and lets one probe through', async (t) => {
  const b = new Breaker(3, 1000, 8000);
  const now = 1_000_000;
  b.failure(now);
  b.failure(now);
  t.equal(b.waitMs(now), 0);
  b.failure(now);
  t.equal(b.waitMs(now), 1000);
  t.equal(b.waitMs(now + 1000), 0, 'half open');
  b.take();
  t.ok(b.waitMs(now + 1000) > 0, 'only one probe');
  b.success();
  t.equal(b.waitMs(now + 1000), 0);
});

t.test('AIMD grows additively and halves on failure', async (t) => {
  const a = new Aimd({ maxWindow: 8, maxBatch: 1000, minBatch: 100, targetLatencyMs: 100 });
  for (let i = 0; i < 50; i++) a.success(10);
  t.equal(a.window, 8);
  a.failure();
  t.equal(a.window, 4);
  t.equal(a.batchSize, 500);
  a.success(1000);
  t.equal(a.window, 2, 'a very slow answer counts as congestion');
  for (let i = 0; i < 10; i++) a.failure();
  t.equal(a.window, 1);
  t.equal(a.batchSize, 100);
});

t.test('AIMD: after an outage the first prompt answer restores the size; congestion does not', async (t) => {
  const a = new Aimd({ maxWindow: 8, maxBatch: 10_000, minBatch: 100, targetLatencyMs: 100 });
  for (let i = 0; i < 50; i++) a.success(10);
  t.equal(a.window, 8);
  t.equal(a.batchSize, 10_000);
  for (let i = 0; i < 20; i++) a.failure(true);
  t.equal(a.window, 1, 'an outage shrinks the window');
  t.equal(a.batchSize, 100, 'and the batch size');
  a.success(10);
  t.equal(a.batchSize, 10_000, 'the receiver answers promptly again: full batch size at once');
  t.equal(a.window, 8, 'and the full window');
  // An outage followed by congestion (the receiver answers 503 while it starts) forgets the old size.
  for (let i = 0; i < 20; i++) a.failure(true);
  a.failure(false);
  a.success(10);
  t.ok(a.batchSize < 200, `congestion after the outage: growth is additive (${a.batchSize})`);
  // A slow first answer after an outage is congestion too.
  for (let i = 0; i < 50; i++) a.success(10);
  for (let i = 0; i < 20; i++) a.failure(true);
  a.success(500);
  a.success(10);
  t.ok(a.batchSize < 200, `a slow answer after the outage: no restore (${a.batchSize})`);
  t.ok(unreachable('ECONNREFUSED') && !unreachable('HTTP 503') && !unreachable('UND_ERR_HEADERS_TIMEOUT'));
});
