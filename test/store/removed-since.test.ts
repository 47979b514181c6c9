/** The store's removals alone (`removedSince`): the removals and the resyncs of `changesSince`, without the changed series. */
import fc from 'fast-check';
import t from 'tap';
import { Store } from '../../agent/store/store';

const g = { name: 'rm_gauge', help: '', type: 'gauge' } as const;

t.test('removedSince answers what changesSince says of removals, at every generation, random writes and removals', async (t) => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('set' as const), id: fc.integer({ min: 0, max: 12 }), v: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ k: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 12 }) }),
  );
  let compared = 0;
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 60 }), (logSize, ops) => {
      const s = new Store({ removalLogSize: logSize });
      const gens = [-1, 0];
      for (const o of ops) {
        if (o.k === 'set') s.set(g, { id: String(o.id) }, o.v);
        else for (const x of [...(s.getFamily(g.name)?.series.values() ?? [])]) if (x.labels.id === String(o.id)) s.remove(x);
        gens.push(s.generation);
      }
      for (const since of gens) {
        const cs = s.changesSince(since);
        const r = s.removedSince(since);
        if (r.generation !== cs.generation) return false;
        if (cs.resync !== (r.removed === undefined)) return false;
        if (r.removed !== undefined && (r.removed.length !== cs.removed.length || r.removed.some((x, i) => x !== cs.removed[i]))) return false;
        compared++;
      }
      return true;
    }),
    { numRuns: 200 },
  );
  t.ok(compared > 1000, `${compared} reads compared`);
});

t.test('removedSince lists a removal once, most recent first, and nothing once read past it', async (t) => {
  const s = new Store();
  for (let i = 0; i < 3; i++) s.set(g, { id: String(i) }, i);
  const before = s.generation;
  const all = [...s.getFamily(g.name)!.series.values()];
  s.remove(all[0]!);
  s.remove(all[2]!);
  const r = s.removedSince(before);
  t.equal(r.generation, s.generation);
  t.same(
    r.removed!.map((x) => x.labels.id),
    ['2', '0'],
  );
  t.same(s.removedSince(r.generation).removed, []);
  t.equal(s.removedSince(-1).removed, undefined, 'a first read (-1) cannot know what went');
});
