/** The durability mark: waits resolve when the mark passes them, time out, and stay bounded. */
import t from 'tap';
import { DurableMark, durabilityOf } from '../../../agent/core/durability';

t.test('a wait resolves once the mark reaches its generation, not before', async (t) => {
  const m = new DurableMark();
  const order: string[] = [];
  const a = m.whenDurable(3).then((d) => order.push(`3:${d}`));
  const b = m.whenDurable(5).then((d) => order.push(`5:${d}`));
  m.advance(2);
  await new Promise((r) => setImmediate(r));
  t.same(order, [], 'generation 2 satisfies neither');
  m.advance(4);
  await a;
  t.same(order, ['3:true']);
  t.equal(m.waiting, 1);
  m.advance(1);
  t.equal(m.generation, 4, 'the mark never moves back');
  m.advance(9);
  await b;
  t.same(order, ['3:true', '5:true']);
  t.equal(await m.whenDurable(9), true, 'an already durable generation resolves at once');
});

t.test('a wait that times out answers false and leaves no waiter behind', async (t) => {
  const m = new DurableMark();
  t.equal(await m.whenDurable(1, 20), false);
  t.equal(m.waiting, 0);
});

t.test('marks are per store and output name, and outlive the output that advanced them', async (t) => {
  const store = {};
  durabilityOf(store, 'report').advance(7);
  t.equal(durabilityOf(store, 'report').generation, 7);
  t.equal(durabilityOf(store, 'other').generation, -1);
  t.equal(durabilityOf({}, 'report').generation, -1);
});
