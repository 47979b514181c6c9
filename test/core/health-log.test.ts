/** core/component (the Health registry) and core/log (the rate limiter every "say it once" log uses). */
import t from 'tap';
import { Health } from '../../agent/core/component';
import { RateLimiter } from '../../agent/core/log';

t.test('ready when every component is ready and none failed; alive unless one failed', async (t) => {
  const h = new Health();
  t.notOk(h.ready(), 'nothing reported is not ready');
  t.ok(h.alive());
  h.report('http', 'running', { ready: true, detail: 'listening' });
  h.report('collectors', 'starting', { ready: false });
  t.notOk(h.ready());
  h.report('collectors', 'running', { ready: true });
  t.ok(h.ready());
  const since = h.get('http')!.since;
  h.report('http', 'running');
  t.equal(h.get('http')!.since, since, 'the same state keeps its since');
  t.equal(h.get('http')!.detail, 'listening', 'and its detail');
  h.report('push', 'failed', { ready: true });
  t.notOk(h.ready());
  t.notOk(h.alive());
  h.remove('push');
  t.ok(h.alive());
});

t.test('the rate limiter allows N per key per window', async (t) => {
  const r = new RateLimiter(1000, 2);
  t.same([r.allow('a', 0), r.allow('a', 10), r.allow('a', 20), r.allow('b', 20)], [true, true, false, true]);
  t.ok(r.allow('a', 1000), 'a new window');
});
