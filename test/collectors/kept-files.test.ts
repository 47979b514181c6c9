import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { NoDataError } from '../../agent/collectors/collector';
import { KeptFiles } from '../../agent/collectors/kept-files';

const tmp = (t: { teardown: (fn: () => void) => void }): string => {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-kept-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('a procfs file is opened once and read fresh on the kept descriptor', async (t) => {
  const files = new KeptFiles();
  t.teardown(() => files.clear());
  const first = files.read('/proc/self/stat')!;
  // Field 10 (minflt) moves as the process touches new pages.
  const pages = [];
  for (let i = 0; i < 200; i++) pages.push(Buffer.alloc(64 * 1024, 1));
  const second = files.read('/proc/self/stat')!;
  t.not(second, first, 'the second read sees new content');
  t.match(second, /^\d+ \(/);
  t.same(files.stats(), { kept: 1, missing: 0, opens: 1, reads: 2 });
});

t.test('regular files are never kept: a replaced or removed file is seen at once', async (t) => {
  const dir = tmp(t);
  const files = new KeptFiles();
  const p = join(dir, 'attr');
  writeFileSync(p, 'one\n');
  t.equal(files.read(p), 'one\n');
  writeFileSync(join(dir, 'next'), 'two\n');
  renameSync(join(dir, 'next'), p);
  t.equal(files.read(p), 'two\n');
  rmSync(p);
  t.equal(files.read(p), undefined);
  t.equal(files.stats().kept, 0);
});

t.test('a missing path is remembered without an error, and found when it appears', async (t) => {
  const dir = tmp(t);
  const files = new KeptFiles();
  const p = join(dir, 'later');
  t.equal(files.read(p), undefined);
  t.equal(files.read(join(dir, 'later', 'below')), undefined, 'ENOTDIR-like paths are missing too');
  t.equal(files.stats().missing, 2);
  t.equal(files.read(p), undefined);
  writeFileSync(p, 'here');
  t.equal(files.read(p), 'here');
});

t.test('other errors are thrown', async (t) => {
  const files = new KeptFiles();
  t.throws(() => files.read('/proc/self'), { code: 'EISDIR' });
  t.equal(files.stats().kept, 0, 'nothing kept for a path that failed');
});

t.test('bounded: past maxEntries, reads go through open and close', async (t) => {
  const files = new KeptFiles({ maxEntries: 2 });
  t.teardown(() => files.clear());
  for (const p of ['/proc/self/stat', '/proc/self/statm', '/proc/self/status']) t.ok(files.read(p));
  t.ok(files.read('/proc/self/status'));
  const s = files.stats();
  t.equal(s.kept, 2);
  t.equal(s.opens, 4, 'the third path is opened on each read');
});

t.test('a sysfs descriptor older than maxAgeMs is closed and the path opened again (a rename may rebind it)', async (t) => {
  let now = 0;
  const files = new KeptFiles({ maxAgeMs: 1000, now: () => now });
  t.teardown(() => files.clear());
  const p = '/sys/devices/system/cpu/online';
  files.read(p);
  now = 999;
  files.read(p);
  t.equal(files.stats().opens, 1);
  now = 1000;
  files.read(p);
  t.equal(files.stats().opens, 2);
  t.equal(files.stats().kept, 1);
});

t.test('a procfs descriptor is kept while it is read, and closed once unread for maxAgeMs', async (t) => {
  let now = 0;
  const files = new KeptFiles({ maxAgeMs: 1000, now: () => now });
  t.teardown(() => files.clear());
  for (now = 0; now <= 5000; now += 500) t.match(files.read('/proc/self/statm'), /^\d+ \d+/);
  t.equal(files.stats().opens, 1, 'one open over 5 s of reads every 500 ms');
  t.equal(files.stats().kept, 1);
  // Unread from 5000: a read of another path at 6500 sweeps nothing yet (unread 1500 >= 1000: swept).
  now = 6500;
  files.read('/proc/self/stat');
  t.equal(files.stats().kept, 1, 'the unread descriptor was closed by the sweep; the new one is kept');
  files.read('/proc/self/statm');
  t.equal(files.stats().opens, 3, 'and its path is opened again when read later');
});

t.test('readFixed on a procfs file: the text is answered for maxAgeMs, then read again through the kept descriptor', async (t) => {
  let now = 0;
  const files = new KeptFiles({ maxAgeMs: 1000, now: () => now });
  t.teardown(() => files.clear());
  const first = files.readFixed('/proc/self/stat');
  now = 999;
  t.equal(files.readFixed('/proc/self/stat'), first, 'answered from the last read');
  now = 1000;
  const again = files.readFixed('/proc/self/stat');
  t.not(again, undefined);
  t.equal(files.stats().opens, 1, 'read again without an open');
  now = 1500;
  t.equal(files.readFixed('/proc/self/stat'), again, 'and answered from that read until its own age passes');
});

t.test('a kept descriptor whose object went away: the path is opened again (missing now)', async (t) => {
  const files = new KeptFiles();
  t.teardown(() => files.clear());
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const p = `/proc/${child.pid}/stat`;
  t.match(files.read(p), new RegExp(`^${child.pid} \\(`));
  t.equal(files.stats().kept, 1);
  child.kill('SIGKILL');
  await once(child, 'exit');
  // Reaped: the kept descriptor fails (ESRCH), the path is gone.
  let after: string | undefined = 'x';
  for (let i = 0; i < 50 && after !== undefined; i++) {
    after = files.read(p);
    if (after !== undefined) await new Promise((r) => setTimeout(r, 20));
  }
  t.equal(after, undefined);
  t.equal(files.stats().kept, 0);
});

t.test('content larger than the read buffer is read whole', async (t) => {
  const dir = tmp(t);
  const files = new KeptFiles();
  const big = 'x'.repeat(100_000) + '\n' + 'é'.repeat(3000);
  writeFileSync(join(dir, 'big'), big);
  t.equal(files.read(join(dir, 'big')), big);
});

t.test('directories: listed each time, a missing one remembered and found when it appears', async (t) => {
  const dir = tmp(t);
  const files = new KeptFiles();
  const sub = join(dir, 'sub');
  t.equal(files.list(sub), undefined);
  t.equal(files.list(sub), undefined);
  t.equal(files.stats().missing, 1);
  mkdirSync(sub);
  t.same(files.list(sub), []);
  writeFileSync(join(sub, 'a'), '');
  t.same(files.list(sub), ['a'], 'an existing directory is listed again, not remembered');
  t.equal(files.list(join(sub, 'a')), undefined, 'a file where a directory is expected (ENOTDIR) reads as missing');
});

t.test('NoDataError carries its message and no stack frames', async (t) => {
  const err = new NoDataError('/sys/class/nvme does not exist');
  t.equal(err.message, '/sys/class/nvme does not exist');
  t.equal(err.code, 'OUTRIDER_ERR_COLLECTOR_NO_DATA');
  t.equal(err.stack?.split('\n').length, 1);
  t.ok(new Error('x').stack!.split('\n').length > 1, 'other errors keep theirs');
});

t.test('an attribute the device refuses (EINVAL) keeps its descriptor from the first read', async (t) => {
  const p = '/sys/class/net/lo/speed';
  let code: string | undefined;
  try {
    readFileSync(p);
  } catch (err) {
    code = (err as NodeJS.ErrnoException).code;
  }
  if (code !== 'EINVAL') {
    t.pass(`${p} does not fail with EINVAL on this host`);
    return;
  }
  const files = new KeptFiles();
  t.teardown(() => files.clear());
  t.throws(() => files.read(p), { code: 'EINVAL' });
  t.throws(() => files.read(p), { code: 'EINVAL' });
  t.same(files.stats(), { kept: 1, missing: 0, opens: 1, reads: 2 }, 'opened once');
});

t.test('a path missing under procfs is not looked at again until its entry ages out', async (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object, to count its stat calls
  const fs = require('node:fs') as { statSync: typeof import('node:fs').statSync };
  const real = fs.statSync;
  const statted: string[] = [];
  fs.statSync = ((p: string, o?: object) => {
    statted.push(String(p));
    return real(p, o as never);
  }) as typeof fs.statSync;
  t.teardown(() => void (fs.statSync = real));
  let now = 0;
  const files = new KeptFiles({ maxAgeMs: 1000, now: () => now });
  const p = '/proc/self/outrider-no-such-file';
  t.equal(files.read(p), undefined);
  now = 500;
  t.equal(files.read(p), undefined);
  t.same(statted, [], 'no stat within the age');
  t.equal(files.stats().missing, 1);
  now = 1000;
  t.equal(files.read(p), undefined);
  t.same(statted, [p], 'past its age: one stat, still missing');
  now = 1999;
  t.equal(files.read(p), undefined);
  t.same(statted, [p], 'a new age begins');
  t.equal(files.stats().missing, 1, 'the entry is renewed, not dropped');
  statted.length = 0;
  // A missing regular path is still checked on every read (a fixture file written later is found at once).
  const dir = tmp(t);
  t.equal(files.read(join(dir, 'x')), undefined);
  t.equal(files.read(join(dir, 'x')), undefined);
  t.same(statted, [join(dir, 'x')]);
});

t.test('readFixed: a kernel file is answered from its first read until the entry ages out', async (t) => {
  let now = 0;
  const files = new KeptFiles({ maxAgeMs: 1000, now: () => now });
  t.teardown(() => files.clear());
  const first = files.readFixed('/proc/self/stat')!;
  const pages = [];
  for (let i = 0; i < 200; i++) pages.push(Buffer.alloc(64 * 1024, 1));
  t.not(files.read('/proc/self/stat'), first, 'read sees new content');
  t.equal(files.readFixed('/proc/self/stat'), first, 'readFixed answers the text it read, without a read');
  t.equal(files.stats().opens, 1);
  now = 1000;
  t.not(files.readFixed('/proc/self/stat'), first, 'read again once the entry aged out');
  t.equal(files.stats().opens, 2);
});

t.test('readFixed: a regular file is read every time; missing and refused as read', async (t) => {
  const dir = tmp(t);
  const files = new KeptFiles();
  const p = join(dir, 'osrelease');
  writeFileSync(p, 'one\n');
  t.equal(files.readFixed(p), 'one\n');
  writeFileSync(p, 'two\n');
  t.equal(files.readFixed(p), 'two\n');
  t.equal(files.readFixed(join(dir, 'absent')), undefined);
  t.throws(() => files.readFixed('/proc/self'), { code: 'EISDIR' });
});

t.test('a kernel directory listed again within listReuseMs gets its last listing, as a new array', async (t) => {
  let now = 0;
  const files = new KeptFiles({ listReuseMs: 200, now: () => now });
  const dir = tmp(t);
  const first = files.list('/proc/self/fd')!;
  writeFileSync(join(dir, 'held'), '');
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(join(dir, 'held'), 'r');
  t.teardown(() => closeSync(fd));
  now = 199;
  const again = files.list('/proc/self/fd')!;
  t.same(again, first, 'the listing of this round');
  t.not(again, first, 'a copy: callers sort their own');
  again.length = 0;
  t.same(files.list('/proc/self/fd'), first, 'a caller changing its array changes nothing kept');
  now = 200;
  t.ok(files.list('/proc/self/fd')!.includes(String(fd)), 'listed again after listReuseMs');
  // A directory elsewhere (a fixture tree) is listed every time.
  t.same(files.list(dir), ['held']);
  writeFileSync(join(dir, 'more'), '');
  t.same(files.list(dir)!.sort(), ['held', 'more']);
});
