/**
 * `npm pack` output installs the way people install tools: globally, into a fresh prefix, with `outrider` on PATH.
 * With the build tools the addon is built (OUTRIDER_NATIVE_BUILD=required, as the image and CI use); with cmake
 * missing from PATH the install still succeeds with one warning naming it and the agent runs on the twins, saying
 * why; with cmake missing and OUTRIDER_NATIVE_BUILD=required the install fails. Uses the npm registry (or npm's
 * cache) for the dependencies, as a user's install does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import t from 'tap';
import { killGroup, startAgentCommand } from './helpers/started-agent';

t.setTimeout(900_000);
const repo = join(__dirname, '..', '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'outrider-pack-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

/** The environment of a user's shell: no OUTRIDER_* or npm_* variables from the test runner. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(OUTRIDER_|npm_|TAP)/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function npm(args: string[], env: NodeJS.ProcessEnv, cwd = tmp) {
  const r = spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: 600_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

const pack = npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], cleanEnv(), repo);
const packed = JSON.parse(pack.out.slice(pack.out.indexOf('['), pack.out.lastIndexOf(']') + 1)) as Array<{ filename: string; files: Array<{ path: string }> }>;
const tarball = join(tmp, packed[0]!.filename);
const files = packed[0]!.files.map((f) => f.path);

/** PATH with every program of this PATH except those named (symlinks in one directory). */
function pathWithout(names: string[]): string {
  const dir = join(tmp, `path-without-${names.join('-')}`);
  mkdirSync(dir, { recursive: true });
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    let entries: string[] = [];
    try {
      entries = readdirSync(d);
    } catch {
      continue;
    }
    for (const e of entries) {
      if (names.includes(e) || existsSync(join(dir, e))) continue;
      symlinkSync(join(d, e), join(dir, e));
    }
  }
  return dir;
}

function install(prefix: string, env: NodeJS.ProcessEnv) {
  return npm(['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', tarball], env);
}

async function scrape(prefix: string, env: NodeJS.ProcessEnv) {
  const agent = await startAgentCommand([join(prefix, 'bin', 'outrider'), 'agent'], { cwd: tmp, env });
  try {
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    const healthz = await (await fetch(`${agent.url}/healthz`)).text();
    const exit = await agent.stop('SIGTERM', 'process');
    return { metrics, healthz, exit };
  } finally {
    killGroup(agent.child);
  }
}

t.test('the packed file list: sources and compiled JavaScript, no build outputs', async (t) => {
  t.equal(pack.status, 0, pack.out);
  for (const f of [
    'package.json',
    'bin/outrider.js',
    'dist/agent/main.js',
    'scripts/build-native.js',
    'scripts/native-sources.js',
    'native/CMakeLists.txt',
    'native/package.json',
    'native/sources.txt',
    'native/src/addon.cc',
    'config/systemd/outrider.service',
    'config/outrider.yaml',
    'docs/deploy.md',
  ]) {
    t.ok(files.includes(f), `ships ${f}`);
  }
  const outputs = files.filter((f) => /^native\/build|CMakeCache\.txt|CMakeFiles\/|\.node$|^dist\/(test|bench)\/|^test\/|^node_modules\/|\.tgz$/.test(f));
  t.same(outputs, [], 'no build outputs, tests or modules');
});

t.test('a global install into a fresh prefix builds the addon and puts outrider on PATH', async (t) => {
  const prefix = join(tmp, 'prefix-full');
  const env = cleanEnv({ OUTRIDER_NATIVE_BUILD: 'required' });
  const r = install(prefix, env);
  t.equal(r.status, 0, 'npm install -g exits 0', { output: r.out.slice(-4000) });
  t.match(r.out, /outrider: native addon built/);
  const onPath = spawnSync('outrider', ['--version'], { env: { ...env, PATH: `${join(prefix, 'bin')}${delimiter}${env.PATH}` }, encoding: 'utf8' });
  t.equal(onPath.status, 0, onPath.stderr);
  t.match(onPath.stdout, /^outrider \d+\.\d+\.\d+/, `outrider --version from PATH: ${onPath.stdout.trim()}`);
  const s = await scrape(prefix, cleanEnv());
  t.match(s.metrics, /^outrider_native_available 1$/m, 'the addon is loaded');
  t.same({ code: s.exit.code, signal: s.exit.signal }, { code: 0, signal: null }, 'SIGTERM: exit 0');
});

t.test('without cmake: the install succeeds with one warning naming it; the agent runs on the twins and says why', async (t) => {
  const prefix = join(tmp, 'prefix-nocmake');
  const env = cleanEnv({ PATH: pathWithout(['cmake']) });
  t.not(spawnSync('sh', ['-c', 'command -v cmake'], { env }).status, 0, 'cmake is not on this PATH');
  const r = install(prefix, env);
  t.equal(r.status, 0, 'npm install -g exits 0', { output: r.out.slice(-4000) });
  const warnings = r.out.split('\n').filter((l) => /outrider: WARNING/.test(l));
  t.equal(warnings.length, 1, 'exactly one warning');
  t.match(warnings[0], /native addon not built: missing cmake \(apt-get install cmake\)/);
  t.match(warnings[0], /OUTRIDER_NATIVE_BUILD=required/);
  const version = spawnSync(join(prefix, 'bin', 'outrider'), ['--version'], { env, encoding: 'utf8' });
  t.equal(version.status, 0, version.stderr);
  const s = await scrape(prefix, env);
  t.match(s.metrics, /^outrider_native_available 0$/m, 'the twins run');
  t.match(s.healthz, /missing cmake/, '/healthz says why');
  t.same({ code: s.exit.code, signal: s.exit.signal }, { code: 0, signal: null }, 'SIGTERM: exit 0');
});

t.test('without cmake and OUTRIDER_NATIVE_BUILD=required: the install fails, naming it', async (t) => {
  const prefix = join(tmp, 'prefix-required');
  const r = install(prefix, cleanEnv({ PATH: pathWithout(['cmake']), OUTRIDER_NATIVE_BUILD: 'required' }));
  t.not(r.status, 0, 'npm install -g fails');
  t.match(r.out, /native addon build FAILED: missing cmake/);
  t.notOk(existsSync(join(prefix, 'bin', 'outrider')), 'nothing is left installed');
});
