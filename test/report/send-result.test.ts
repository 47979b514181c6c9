import t from 'tap';
import { Aimd, backoffMs, Breaker, classifyStatus, parseRetryAfter } from '../../agent/report/send-result';

t.test('statuses map to success, retryable, definitions or failure', async (t) => {
  t.same(classifyStatus(200, undefined, '{"status":"applied"}'), { kind: 'success', duplicate: false });
  t.same(classifyStatus(200, undefined, '{"status":"duplicate"}'), { kind: 'success', duplicate: true });
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
