/**
 * The single-file bundle (scripts/bundle.js → dist-bundle/outrider.js) starts the agent and answers /readyz, and the
 * launcher chooses between it and dist/: the bundle when it is there and not older than dist/agent/main.js, dist/
 * otherwise or with OUTRIDER_BUNDLE=0. The launcher is run from a copy of bin/ beside a stand-in dist/ and
 * dist-bundle/, so the test never depends on which of the two this checkout built last.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { repoRoot, spawnCli } from '../helpers/process';

const bundle = join(repoRoot, 'dist-bundle', 'outrider.js');

/** A package root with bin/ copied from this checkout and an entry file that prints its own name. */
function fakeRoot(t: Test, entries: Array<'dist' | 'bundle'>): string {
  const root = mkdtempSync(join(tmpdir(), 'outrider-launcher-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  cpSync(join(repoRoot, 'bin'), join(root, 'bin'), { recursive: true });
  const stub = (name: string) => `exports.main = () => process.stdout.write(${JSON.stringify(name)});\n`;
  if (entries.includes('dist')) {
    mkdirSync(join(root, 'dist', 'agent'), { recursive: true });
    writeFileSync(join(root, 'dist', 'agent', 'main.js'), stub('dist'));
  }
  if (entries.includes('bundle')) {
    mkdirSync(join(root, 'dist-bundle'), { recursive: true });
    writeFileSync(join(root, 'dist-bundle', 'outrider.js'), stub('bundle'));
  }
  return root;
}

/** One empty OTLP/gRPC metrics export (a valid request with no data); resolves to the call's error, null when none. */
function otlpGrpcExport(address: string): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const path = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
  const id = (b: Buffer): Buffer => b;
  return new Promise<grpc.ServiceError | null>((resolve) => client.makeUnaryRequest(path, id, id, Buffer.alloc(0), { deadline: Date.now() + 10_000 }, (e) => resolve(e))).finally(() => client.close());
}

const launch = (root: string, env: NodeJS.ProcessEnv = {}): string =>
  execFileSync(process.execPath, [join(root, 'bin', 'outrider.js'), '--version'], { env: { ...process.env, OUTRIDER_BUNDLE: '', ...env }, encoding: 'utf8' });

function setMtime(file: string, secondsAgo: number): void {
  const when = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(file, when, when);
}

t.test('the launcher runs the bundle when it is not older than dist/', async (t) => {
  const root = fakeRoot(t, ['dist', 'bundle']);
  setMtime(join(root, 'dist', 'agent', 'main.js'), 60);
  t.equal(launch(root), 'bundle');
  t.equal(launch(root, { OUTRIDER_BUNDLE: '0' }), 'dist', 'OUTRIDER_BUNDLE=0 runs dist/');
  setMtime(join(root, 'dist-bundle', 'outrider.js'), 120);
  t.equal(launch(root), 'dist', 'older than dist/: dist/');
  t.equal(launch(root, { OUTRIDER_BUNDLE: '1' }), 'bundle', 'OUTRIDER_BUNDLE=1 runs the bundle all the same');
});

t.test('the launcher falls back to dist/ when the bundle is older (a tsc build after it) or absent', async (t) => {
  const stale = fakeRoot(t, ['dist', 'bundle']);
  setMtime(join(stale, 'dist-bundle', 'outrider.js'), 60);
  t.equal(launch(stale), 'dist', 'a bundle older than dist/ is not run');
  t.equal(launch(fakeRoot(t, ['dist'])), 'dist', 'no bundle: dist/');
});

t.test('the bundle alone (no dist/, as in the image) is run, and OUTRIDER_BUNDLE=1 without one runs dist/', async (t) => {
  t.equal(launch(fakeRoot(t, ['bundle'])), 'bundle');
  t.equal(launch(fakeRoot(t, ['dist']), { OUTRIDER_BUNDLE: '1' }), 'dist');
});

t.test('neither: the launcher says to build', async (t) => {
  const root = fakeRoot(t, []);
  try {
    launch(root);
    t.fail('expected a non-zero exit');
  } catch (err) {
    const e = err as { status: number; stderr: string };
    t.equal(e.status, 1);
    t.match(String(e.stderr), /compiled agent is missing; run `npm install`/);
  }
});

/** The agent started from the bundle, with a preload that writes the files the process loaded when it exits. */
async function startBundled(t: Test): Promise<{ url: string; child: ChildProcess; exited: Promise<number | null>; stderr: () => string; loaded: () => string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const preload = join(dir, 'loaded.js');
  const loadedFile = join(dir, 'loaded.txt');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loadedFile)}, Object.keys(require.cache).join('\\n')));\n`);
  const child = spawn(process.execPath, ['--require', preload, join(repoRoot, 'bin', 'outrider.js'), 'agent', '--listen=127.0.0.1:0', '--spool.dir='], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // The bundle, even where a tsc build after it made dist/ newer.
      OUTRIDER_BUNDLE: '1',
      OUTRIDER_LOG_FORMAT: 'json',
      OUTRIDER_STATSD_LISTEN: 'udp://127.0.0.1:0',
      OUTRIDER_OTLP_HTTP_LISTEN: '127.0.0.1:0',
      OUTRIDER_OTLP_GRPC_LISTEN: '127.0.0.1:0',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.teardown(() => void child.kill('SIGKILL'));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within 60 s; stderr:\n${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"Outrider agent is ready\."/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`exited with ${code}; stderr:\n${err}`)));
  });
  return { url, child, exited, stderr: () => err, loaded: () => readFileSync(loadedFile, 'utf8').split('\n') };
}

const built = { skip: existsSync(bundle) ? false : 'dist-bundle/ not built (npm run build)' };

t.test('the bundle starts the agent and answers /readyz', built, async (t) => {
  const { url, child, exited, stderr, loaded: loadedFiles } = await startBundled(t);
  const ready = await fetch(`${url}/readyz`);
  t.equal(ready.status, 200, '/readyz 200');
  await ready.arrayBuffer();
  const health = (await (await fetch(`${url}/healthz`)).json()) as { version: string; native: { available: boolean }; components: Array<{ name: string; detail?: string }> };
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  t.equal(health.version, pkg.version, 'the version is read from package.json');
  if (existsSync(join(repoRoot, 'native', 'build', 'Release', 'outrider_native.node'))) t.ok(health.native.available, 'the addon is found from the bundle');
  const metrics = await (await fetch(`${url}/metrics`)).text();
  t.match(metrics, /^process_cpu_seconds_total /m, "prom-client's runtime metrics are registered");
  t.match(metrics, /^nodejs_eventloop_lag_seconds /m);
  // The PromQL parser and gRPC are vendor files of their own (dist-bundle/vendor/), loaded with their first use.
  const query = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent('1 + 1')}`)).json()) as { status: string; data: { result: unknown[] } };
  t.equal(query.status, 'success', 'a PromQL query is parsed');
  t.equal(query.data.result[1], '2');
  const grpcAt = /listening on (\S+)/.exec(health.components.find((c) => c.name === 'otlp-grpc')?.detail ?? '')?.[1];
  t.ok(grpcAt, 'the OTLP/gRPC receiver listens');
  t.equal(await otlpGrpcExport(grpcAt!), null, 'an OTLP/gRPC export is answered');
  const uplot = await fetch(`${url}/live/uPlot.iife.min.js`);
  t.equal(uplot.status, 200, "the live page's uPlot file is read at run time");
  await uplot.arrayBuffer();
  t.notMatch(stderr(), /names no config key/, 'OUTRIDER_BUNDLE is not taken for a config key');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'stops cleanly');
  const loaded = loadedFiles();
  t.ok(loaded.includes(bundle), 'the bundle was loaded');
  t.ok(loaded.includes(join(repoRoot, 'dist-bundle', 'lazy.js')), 'lazy.js was loaded, with the first request that needed it');
  for (const v of ['grpc-grpc-js.js', 'prometheus-io-lezer-promql.js']) t.ok(loaded.includes(join(repoRoot, 'dist-bundle', 'vendor', v)), `vendor/${v} was loaded`);
  t.same(
    loaded.filter((f) => f.includes(join('dist', 'agent'))),
    [],
    'nothing from dist/',
  );
});

t.test('a default agent from the bundle does not read lazy.js (the modules only a request, a key or a command needs)', built, async (t) => {
  const { child, exited, loaded } = await startBundled(t);
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'stops cleanly');
  const files = loaded();
  t.ok(files.includes(bundle), 'the bundle was loaded');
  t.ok(existsSync(join(repoRoot, 'dist-bundle', 'lazy.js')), 'the bundle has a lazy.js');
  t.notOk(files.includes(join(repoRoot, 'dist-bundle', 'lazy.js')), 'lazy.js was not read');
});

t.test('the aggregator command runs from the bundle (its modules are in lazy.js)', built, async (t) => {
  const state = mkdtempSync(join(tmpdir(), 'outrider-bundle-aggregator-'));
  t.teardown(() => rmSync(state, { recursive: true, force: true }));
  const agg = spawnCli(['aggregator', '--listen=127.0.0.1:0', `--aggregator.state_dir=${state}`], { OUTRIDER_BUNDLE: '1' });
  t.teardown(() => void agg.child.kill('SIGKILL'));
  const { url } = (await agg.waitForLog(/^Outrider aggregator is ready\.$/)) as { url: string };
  const health = await fetch(`${url}/healthz`);
  t.equal(health.status, 200, 'the aggregator answers /healthz');
  await health.arrayBuffer();
  agg.child.kill('SIGTERM');
  t.equal((await agg.exited).code, 0, 'stops cleanly');
});

t.test("the bundle's files are Latin-1 only, so V8 keeps their source one byte per character", built, async (t) => {
  for (const f of [bundle, join(repoRoot, 'dist-bundle', 'lazy.js')]) {
    const src = readFileSync(f, 'utf8');
    const wide = [...src].filter((c) => c.charCodeAt(0) > 0xff);
    t.same(wide.slice(0, 5), [], `${f}: no character above U+00FF`);
  }
});
