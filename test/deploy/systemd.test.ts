import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { run } from '../../agent/cli/install-systemd';
import { loadConfig } from '../../agent/config/load';
import { execProblem, renderUnit } from '../../agent/deploy/systemd/install';
import { Capture } from './helpers/golden';
import { agentKeys } from '../../agent/keys';

const repo = join(__dirname, '..', '..', '..');
const unitPath = join(repo, 'config', 'systemd', 'outrider.service');
const inCI = process.env.CI === 'true';
const haveAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;

/** [Section] → key → values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      out.set(s[1]!, (section = new Map()));
      continue;
    }
    const i = line.indexOf('=');
    if (i < 0 || !section) throw new Error(`bad unit line ${line}`);
    const k = line.slice(0, i).trim();
    section.set(k, [...(section.get(k) ?? []), line.slice(i + 1).trim()]);
  }
  return out;
}

async function install(args: string[]) {
  const out = new Capture();
  const err = new Capture();
  const code = await run(args, out, err);
  return { code, out: out.text, err: err.text };
}

t.test('the unit asks for notify, watchdog and the hardening', async (t) => {
  const svc = parseUnit(readFileSync(unitPath, 'utf8')).get('Service')!;
  const one = (k: string) => svc.get(k)?.at(-1);
  t.equal(one('Type'), 'notify');
  t.equal(one('NotifyAccess'), 'main');
  t.match(one('WatchdogSec'), /^\d+s$/);
  t.equal(one('Restart'), 'on-failure');
  t.equal(one('DynamicUser'), 'yes');
  t.equal(one('StateDirectory'), 'outrider');
  t.equal(one('ConfigurationDirectory'), 'outrider');
  t.equal(one('ProtectSystem'), 'strict');
  t.equal(one('ProtectHome'), 'yes');
  t.equal(one('PrivateTmp'), 'yes');
  t.equal(one('NoNewPrivileges'), 'yes');
  t.equal(one('CapabilityBoundingSet'), '', 'no capabilities at all');
  t.equal(one('RestrictAddressFamilies'), 'AF_UNIX AF_INET AF_INET6 AF_NETLINK');
  t.equal(one('SystemCallFilter'), '@system-service');
  t.match(one('MemoryMax'), /^\d+[KMG]$/);
  t.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
  t.notOk(svc.has('MemoryDenyWriteExecute'), 'V8 needs W+X pages');
});

t.test('install-systemd into a scratch root', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'outrider-root-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const unit = join(root, 'etc/systemd/system/outrider.service');
  const cfg = join(root, 'etc/outrider/outrider.yaml');

  // A program the unit can see, wherever this checkout lives (the default is tested below).
  const exec = '--exec=/usr/local/bin/outrider';
  const dry = await install([`--root=${root}`, exec, '--dry-run']);
  t.equal(dry.code, 0);
  t.match(dry.out, 'would write');
  t.notOk(existsSync(unit), '--dry-run writes nothing');

  const r = await install([`--root=${root}`, exec]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, 'systemctl daemon-reload');
  t.match(r.out, 'systemctl enable --now outrider');
  const text = readFileSync(unit, 'utf8');
  t.match(text, /^ExecStart=\/usr\/local\/bin\/outrider agent --config=\/etc\/outrider\/outrider\.yaml$/m);
  const loaded = loadConfig({ keys: agentKeys, file: cfg, env: {} });
  t.same(loaded.problems, [], 'the starting config is valid');
  const dropIn = join(root, 'etc/systemd/system/outrider.service.d/notify-access.conf');
  // This build may or may not carry the native addon; the drop-in follows that.
  t.match(r.out, existsSync(dropIn) ? 'NotifyAccess=all' : /wrote .*outrider\.yaml/);

  writeFileSync(cfg, 'listen: 127.0.0.1:19477\n');
  const again = await install([`--root=${root}`, exec]);
  t.match(again.out, 'kept');
  t.equal(readFileSync(cfg, 'utf8'), 'listen: 127.0.0.1:19477\n', 'an existing config is kept');
  await install([`--root=${root}`, exec, '--force']);
  t.not(readFileSync(cfg, 'utf8'), 'listen: 127.0.0.1:19477\n', '--force replaces it');

  const bad = await install([`--root=${root}`, 'extra']);
  t.equal(bad.code, 2);
});

t.test('the default ExecStart runs this node and this launcher, unless the sandbox hides them', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'outrider-root-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const launcher = realpathSync(join(repo, 'bin', 'outrider.js'));
  const problem = execProblem(readFileSync(unitPath, 'utf8'), [process.execPath, launcher]);
  const r = await install([`--root=${root}`]);
  const unit = join(root, 'etc/systemd/system/outrider.service');
  if (problem) {
    // e.g. a checkout under /tmp: refused (the next test covers every hidden directory)
    t.equal(r.code, 1);
    t.match(r.err, 'refusing');
    t.notOk(existsSync(unit));
  } else {
    t.equal(r.code, 0, r.err);
    const line = readFileSync(unit, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('ExecStart='));
    t.equal(line, `ExecStart=${process.execPath} ${launcher} agent --config=/etc/outrider/outrider.yaml`);
  }
});

t.test('an ExecStart program the unit sandbox hides is refused, naming the directive', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'outrider-root-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const unit = join(root, 'etc/systemd/system/outrider.service');
  const cases: Array<[string, string]> = [
    ['/tmp/outrider-clone/bin/outrider.js', 'PrivateTmp=yes hides /tmp '],
    ['/var/tmp/outrider/bin/outrider', 'PrivateTmp=yes hides /var/tmp '],
    ['/home/alice/outrider/bin/outrider.js', 'ProtectHome=yes hides /home '],
    ['/root/outrider/bin/outrider.js', 'ProtectHome=yes hides /root '],
    ['/run/user/1000/outrider', 'ProtectHome=yes hides /run/user '],
  ];
  for (const [path, why] of cases) {
    const r = await install([`--root=${root}`, `--exec=${path}`]);
    t.equal(r.code, 1, `${path} refused`);
    t.match(r.err, `refusing: ExecStart would run ${path}, but the unit's ${why}`, `${path}: the reason`);
    t.match(r.err, 'npm install -g', `${path}: what to do instead`);
    t.notOk(existsSync(unit), `${path}: nothing written`);
  }
  // Near misses are fine: /tmpfoo is not /tmp, /homes is not /home.
  for (const path of ['/opt/outrider/bin/outrider', '/tmpfoo/outrider', '/homes/outrider', '/usr/local/bin/outrider']) {
    const r = await install([`--root=${root}`, `--exec=${path}`, '--dry-run']);
    t.equal(r.code, 0, `${path} accepted: ${r.err}`);
  }
  // The rules are read from the unit: without PrivateTmp=, /tmp is visible.
  const relaxed = readFileSync(unitPath, 'utf8').replace(/^PrivateTmp=yes$/m, 'PrivateTmp=no');
  t.equal(execProblem(relaxed, ['/tmp/outrider-clone/bin/outrider.js']), undefined);
  t.match(execProblem(relaxed + '\n[Service]\nInaccessiblePaths=-/srv\n', ['/srv/outrider']), 'InaccessiblePaths=-/srv hides /srv');
});

t.test('a symlink into a hidden directory is refused too (npm install -g DIR links to DIR)', { skip: existsSync('/dev/shm') ? false : 'no /dev/shm to hold a visible symlink' }, async (t) => {
  const target = realpathSync(mkdtempSync(join('/tmp', 'outrider-clone-')));
  const link = join('/dev/shm', `outrider-link-${process.pid}`);
  t.teardown(() => {
    rmSync(target, { recursive: true, force: true });
    rmSync(link, { force: true });
  });
  writeFileSync(join(target, 'outrider.js'), '');
  symlinkSync(join(target, 'outrider.js'), link);
  const root = mkdtempSync(join(tmpdir(), 'outrider-root-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const r = await install([`--root=${root}`, `--exec=${link}`, '--dry-run']);
  t.equal(r.code, 1);
  t.match(r.err, `${link} resolves to ${target}/outrider.js`);
  t.match(r.err, 'PrivateTmp=yes');
});

t.test("the unit's Documentation links resolve", async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'outrider-root-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  t.equal((await install([`--root=${root}`, '--exec=/usr/local/bin/outrider'])).code, 0);
  const unitText = readFileSync(join(root, 'etc/systemd/system/outrider.service'), 'utf8');
  const docs = parseUnit(unitText).get('Unit')!.get('Documentation')!.join(' ').split(/\s+/);
  const files = docs.filter((d) => d.startsWith('file:'));
  t.ok(files.length > 0, 'a file: link to the installed docs');
  for (const f of files) t.ok(existsSync(fileURLToPath(f)), `${f} exists`);
  for (const d of docs) t.match(d, /^(file:|man:|https:)/, `${d} is a kind systemctl help opens`);
  t.match(readFileSync(fileURLToPath(files[0]!), 'utf8'), 'install-systemd', 'it is the page on install-systemd');
});

t.test('ExecStart quoting', async (t) => {
  t.match(renderUnit('[Service]\nExecStart=x\n', ['/opt/my dir/outrider'], '/etc/outrider/outrider.yaml'), 'ExecStart="/opt/my dir/outrider" agent --config=/etc/outrider/outrider.yaml');
});

t.test('systemd-analyze verify accepts the unit', { skip: !haveAnalyze && !inCI ? 'systemd-analyze is not installed (apt-get install systemd)' : false }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'outrider-verify-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  // verify checks that ExecStart's program exists and is executable: any visible one serves.
  t.equal((await install([`--root=${root}`, '--exec=/bin/sh'])).code, 0);
  const unit = join(root, 'etc/systemd/system/outrider.service');
  // verify exits 0 on unknown keys and bad values too; anything it says about our unit is a failure.
  const verify = (path: string) => {
    const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    const ours = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('outrider') || l.includes(path));
    return { status: r.status, ours };
  };
  const good = verify(unit);
  t.equal(good.status, 0);
  t.same(good.ours, [], 'no complaints about outrider.service');

  const broken = join(root, 'broken', 'outrider.service');
  spawnSync('mkdir', ['-p', join(root, 'broken')]);
  writeFileSync(broken, readFileSync(unit, 'utf8').replace('ProtectSystem=strict', 'ProtectSystm=strict'));
  t.ok(verify(broken).ours.length > 0, 'the check notices a broken unit');

  const sec = spawnSync('systemd-analyze', ['security', '--offline=yes', unit], { encoding: 'utf8' });
  const m = /Overall exposure level for outrider\.service: ([\d.]+)/.exec(sec.stdout + sec.stderr);
  if (m) t.ok(Number(m[1]) <= 3, `systemd-analyze security exposure ${m[1]} (≤ 3)`);
});
