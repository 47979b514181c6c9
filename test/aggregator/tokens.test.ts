/** Tokens bound to agent ids, implausible epochs and sequences, and reads that need a token. */
import t from 'tap';
import { grantsAgent, parseTokenEntry } from '../../agent/aggregator/auth';
import { counterDefs, frame, payload, post, startAggregator, tmpDir } from './helpers';

const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });
const metrics = async (url: string, tok = 'reader') => (await fetch(url + '/metrics', { headers: bearer(tok) })).text();

t.test('token entries: a token alone is any agent and reads; ids, prefixes and @read narrow it', async (t) => {
  const any = parseTokenEntry('s3cret');
  t.same([any.token, any.grant.anyAgent, any.grant.read], ['s3cret', true, true]);
  const bound = parseTokenEntry('  tok  web-17 db-*  ');
  t.same([bound.token, bound.grant.anyAgent, bound.grant.read], ['tok', false, false]);
  t.ok(grantsAgent(bound.grant, 'web-17'));
  t.ok(grantsAgent(bound.grant, 'db-3'));
  t.notOk(grantsAgent(bound.grant, 'web-18'));
  t.same(parseTokenEntry('r @read').grant.read, true);
  t.same(parseTokenEntry('r @read').grant.anyAgent, false);
  t.same(parseTokenEntry('t *').grant.anyAgent, true);
});

t.test("a token bound to agent ids cannot write as another agent, so it cannot make the victim's batches duplicates", async (t) => {
  const agg = await startAggregator(tmpDir(t), { tokens: ['victim-tok victim', 'mallory-tok mallory', 'reader @read'] });
  t.teardown(() => agg.stop());
  const url = agg.url();
  const epoch = Date.now();
  const forged = await post(url, frame(payload({ agentId: 'victim', ...counterDefs, scalars: [10, 1] }), epoch, 2 ** 40), bearer('mallory-tok'));
  t.equal(forged.status, 403);
  t.equal(forged.json.code, 'OUTRIDER_ERR_AGG_FORBIDDEN_AGENT');
  const later = await post(url, frame(payload({ agentId: 'victim', ...counterDefs, scalars: [10, 1] }), epoch + 10 ** 9, 1), bearer('mallory-tok'));
  t.equal(later.status, 403, 'a forged later epoch is refused too');
  for (let seq = 1; seq <= 3; seq++) {
    t.same((await post(url, frame(payload({ agentId: 'victim', ...counterDefs, scalars: [10, seq * 40] }), epoch, seq), bearer('victim-tok'))).json, { status: 'applied' });
  }
  t.match(await metrics(url), /reqs_total\{path="\/a"\} 120\n/);
  t.equal((await post(url, frame(payload({ agentId: 'mallory', ...counterDefs, scalars: [10, 1] }), epoch, 1), bearer('mallory-tok'))).status, 200, 'its own id is fine');
});

t.test('an implausible sequence or epoch is refused even from a token that may write as anyone', async (t) => {
  const agg = await startAggregator(tmpDir(t), { tokens: ['shared', 'reader @read'] });
  t.teardown(() => agg.stop());
  const url = agg.url();
  const epoch = Date.now();
  t.same((await post(url, frame(payload({ agentId: 'victim', ...counterDefs, scalars: [10, 40] }), epoch, 1), bearer('shared'))).json, { status: 'applied' });
  const seq = await post(url, frame(payload({ agentId: 'victim', scalars: [10, 41] }), epoch, 2 ** 52), bearer('shared'));
  t.same([seq.status, seq.json.code], [400, 'OUTRIDER_ERR_AGG_IMPLAUSIBLE']);
  const ep = await post(url, frame(payload({ agentId: 'victim', ...counterDefs, scalars: [10, 41] }), epoch + 30 * 86_400_000, 1), bearer('shared'));
  t.same([ep.status, ep.json.code], [400, 'OUTRIDER_ERR_AGG_IMPLAUSIBLE']);
  for (let s = 2; s <= 3; s++) t.same((await post(url, frame(payload({ agentId: 'victim', scalars: [10, s * 40] }), epoch, s), bearer('shared'))).json, { status: 'applied' });
  t.match(await metrics(url), /reqs_total\{path="\/a"\} 120\n/, 'the victim was not made a duplicate');
});

t.test('reads need a token that may read when tokens are configured, unless reads are public', async (t) => {
  const agg = await startAggregator(tmpDir(t), { tokens: ['agent-tok web-1', 'reader @read', 'old-style'] });
  t.teardown(() => agg.stop());
  const url = agg.url();
  for (const path of ['/metrics', '/api/v1/series', '/api/v1/agents', '/api/v1/status']) {
    const anon = await fetch(url + path);
    t.equal(anon.status, 401, `${path} without a token`);
    t.equal(anon.headers.get('www-authenticate'), 'Bearer');
    t.equal((await fetch(url + path, { headers: bearer('agent-tok') })).status, 401, `${path} with an agent's bound token`);
    t.equal((await fetch(url + path, { headers: bearer('reader') })).status, 200, `${path} with a read token`);
    t.equal((await fetch(url + path, { headers: bearer('old-style') })).status, 200, `${path} with a token alone (any agent, reads)`);
  }
  t.equal((await fetch(url + '/healthz')).status, 200, 'health stays open');
  const pub = await startAggregator(tmpDir(t), { tokens: ['reader @read'], publicReads: true });
  t.teardown(() => pub.stop());
  t.equal((await fetch(pub.url() + '/metrics')).status, 200, 'aggregator.public_reads');
});
