/** Every host collector on a host that lacks its files: NoDataError (logged once at debug), never a crash. */
import t from 'tap';
import { join } from 'node:path';
import { NoDataError } from '../../../agent/collectors/collector';
import { hostCollectors } from '../../../agent/collectors/host/index';
import { collectContext, edgeFixtures, fixtureOptions } from './fixture';

const empty = join(edgeFixtures, 'does-not-exist');

t.test('empty roots', async (t) => {
  for (const c of hostCollectors(fixtureOptions())) {
    const ctx = collectContext({ procfs: empty, sysfs: empty, rootfs: empty });
    if (c.name === 'time') {
      t.ok((await c.collect(ctx)).length >= 2, 'time needs no files');
      continue;
    }
    if (c.name === 'gpu') {
      // A host without a GPU is the usual case of this default collector: an empty, successful snapshot.
      t.same(await c.collect(collectContext({ procfs: empty, sysfs: empty, rootfs: empty }, { 'collectors.gpu.nvml_library': '' })), [], 'gpu reports nothing');
      await c.close?.();
      continue;
    }
    await t.rejects(c.collect(ctx), NoDataError, `${c.name} reports no data`);
    await c.close?.();
  }
});

t.test('garbled files: what parses is kept, the rest is a warning or a collector error, never a crash', async (t) => {
  const garbled = join(edgeFixtures, 'garbled');
  for (const c of hostCollectors(fixtureOptions())) {
    const ctx = collectContext({ procfs: join(garbled, 'proc'), sysfs: join(garbled, 'sys'), rootfs: garbled });
    try {
      await c.collect(ctx);
      t.pass(`${c.name} returned`);
    } catch (err) {
      t.ok(err instanceof Error, `${c.name} failed with an Error: ${(err as Error).message}`);
    }
    await c.close?.();
  }
});
