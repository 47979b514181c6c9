/** btrfs: commit_stats (Linux 6.0+) as node_exporter 1.9 reports it; a kernel without the file, a garbled file. */
import t from 'tap';
import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { btrfsCollector, parseCommitStats } from '../../../agent/collectors/host/btrfs';
import { collectContext, fixtureHost } from './fixture';

const uuid = '0abb23a9-579b-43e6-ad30-227ef47fcb9d';

t.test('commit_stats lines: the four counters, other keys skipped', async (t) => {
  t.same(parseCommitStats('commits 258051\nlast_commit_ms 1000\nmax_commit_ms 51462\ntotal_commit_ms 47836090\n'), {
    commits: 258051,
    lastCommitMs: 1000,
    maxCommitMs: 51462,
    totalCommitMs: 47836090,
  });
  t.same(parseCommitStats('commits 3\nsome_future_key 9\n'), { commits: 3 });
  const issues: string[] = [];
  t.equal(parseCommitStats('commits 3\nlast_commit_ms -1\n', issues), undefined, 'a negative value refuses the file');
  t.equal(parseCommitStats('commits 3 4\n', issues), undefined, 'three fields refuse the file');
  t.equal(issues.length, 2);
});

t.test('fixture host: commit families per filesystem, milliseconds as seconds', async (t) => {
  const fams = await btrfsCollector().collect(collectContext());
  const value = (name: string) => fams.find((f) => f.name === name)?.samples.find((s) => s.labels.uuid === uuid)?.value;
  t.equal(value('node_btrfs_commits_total'), 258051);
  t.equal(value('node_btrfs_commit_seconds_total'), 47836.09);
  t.equal(value('node_btrfs_last_commit_seconds'), 1);
  t.equal(value('node_btrfs_max_commit_seconds'), 51.462);
  const byName = new Map(fams.map((f) => [f.name, f]));
  t.equal(byName.get('node_btrfs_commits_total')?.type, 'counter');
  t.equal(byName.get('node_btrfs_commit_seconds_total')?.type, 'counter');
  t.equal(byName.get('node_btrfs_last_commit_seconds')?.type, 'gauge');
  t.equal(byName.get('node_btrfs_max_commit_seconds')?.help, 'Duration of the slowest commit, in seconds.');
});

t.test('no commit_stats (before Linux 6.0): no commit families, the others kept; garbled: an issue', async (t) => {
  const sys = mkdtempSync(join(tmpdir(), 'outrider-btrfs-'));
  t.teardown(() => rmSync(sys, { recursive: true, force: true }));
  cpSync(join(fixtureHost, 'sys/fs/btrfs'), join(sys, 'fs/btrfs'), { recursive: true });
  const stats = join(sys, 'fs/btrfs', uuid, 'commit_stats');
  unlinkSync(stats);
  let ctx = collectContext({ sysfs: sys });
  let names = (await btrfsCollector().collect(ctx)).map((f) => f.name);
  t.notOk(names.some((n) => /commit/.test(n)));
  t.ok(names.includes('node_btrfs_info'));
  t.same(ctx.issues, []);
  writeFileSync(stats, 'commits lots\n');
  ctx = collectContext({ sysfs: sys });
  names = (await btrfsCollector().collect(ctx)).map((f) => f.name);
  t.notOk(names.some((n) => /commit/.test(n)));
  t.ok(names.includes('node_btrfs_info'));
  t.match(ctx.issues[0], /btrfs 0abb23a9.*commit_stats line "commits lots"/);
});
