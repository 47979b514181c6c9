/** The push listener (agent/collectors/push): parsing, increments, limits and clear refusals, on a real agent. */
import t from 'tap';
import { parsePush } from '../../agent/collectors/push/parse';
import { PushListener } from '../../agent/collectors/push/index';
import { durabilityOf } from '../../agent/core/durability';
import { startAgent } from '../helpers/agent';

t.test('parsePush reads names, labels (with escapes), values and TYPE lines', async (t) => {
  const r = parsePush('# TYPE a_total counter\na_total{x="1",y="q\\"uote"} 3\nb 2.5\n# HELP ignored\nc{} -1\n');
  t.same(r.errors, []);
  t.same(r.samples, [
    { name: 'a_total', type: 'counter', labels: { x: '1', y: 'q"uote' }, value: 3 },
    { name: 'b', type: 'gauge', labels: {}, value: 2.5 },
    { name: 'c', type: 'gauge', labels: {}, value: -1 },
  ]);
  t.equal(parsePush('bad line here\n9x 1\nok{a=1} 2\nz abc\n').errors.length, 4);
});

t.test('a push adds counter increments, sets gauges, and refuses bad or oversized bodies', async (t) => {
  const a = await startAgent({ 'push.max_body': 2048 });
  t.teardown(() => a.stop());
  const ctx = a.agent.context(a.agent.config.with({ 'push.listen': '127.0.0.1:0' }));
  const push = new PushListener(ctx);
  await push.start();
  t.teardown(() => push.stop());
  const url = push.url() + '/api/v1/push';
  for (let i = 0; i < 3; i++) t.equal((await fetch(url, { method: 'POST', body: '# TYPE p_total counter\np_total 2\np_gauge 7\n' })).status, 200);
  const fam = a.agent.store.getFamily('p_total');
  t.equal([...fam!.series.values()][0]!.value, 6);
  t.equal([...a.agent.store.getFamily('p_gauge')!.series.values()][0]!.value, 7);
  let r = await fetch(url, { method: 'POST', body: '# TYPE p_total counter\np_total -1\n' });
  t.equal(r.status, 400);
  t.match(await r.json(), { code: 'OUTRIDER_ERR_PUSH_MALFORMED' });
  r = await fetch(url, { method: 'POST', body: 'x'.repeat(5000) });
  t.equal(r.status, 413);
  r = await fetch(url, { method: 'GET' });
  t.equal(r.status, 405);
});

t.test("?wait=durable answers once the reporter's durability mark passes the pushed generation", async (t) => {
  const a = await startAgent({});
  t.teardown(() => a.stop());
  const ctx = a.agent.context(a.agent.config.with({ 'push.listen': '127.0.0.1:0' }));
  const push = new PushListener(ctx);
  await push.start();
  t.teardown(() => push.stop());
  let answered = false;
  const res = fetch(push.url() + '/api/v1/push?wait=durable', { method: 'POST', body: '# TYPE d_total counter\nd_total 1\n' }).then((r) => {
    answered = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 300));
  t.equal(answered, false, 'no answer while nothing is durable');
  durabilityOf(a.agent.store, 'report').advance(a.agent.store.generation);
  const r = await res;
  t.equal(r.status, 200);
  t.match(await r.json(), { status: 'ok', samples: 1 });
});
