/** What `outrider agent` loads with its default config: nothing its config does not use (docs/footprint.md). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot, spawnCli } from '../helpers/process';

async function loadedBy(args: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-lazy-'));
  const file = join(dir, 'loaded.txt');
  try {
    const preload = join(repoRoot, 'test', 'cli', 'fixtures', 'loaded-modules.js');
    const p = spawnCli(['agent', '--listen=127.0.0.1:0', ...args], { NODE_OPTIONS: `--require=${preload}`, OUTRIDER_TEST_LOADED_FILE: file });
    try {
      await p.waitForLog(/agent is ready/, 60_000);
    } finally {
      p.child.kill('SIGTERM');
    }
    await p.exited;
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

t.test('the default agent loads neither the HTTP client, the YAML parser, msgpack, gRPC, the PromQL grammar nor @opentelemetry/api', async (t) => {
  const loaded = await loadedBy([]);
  t.ok(loaded.includes('pino'), 'the preload sees what loads');
  for (const name of ['undici', 'yaml', 'msgpackr', '@opentelemetry/api', '@grpc/grpc-js', '@prometheus-io/lezer-promql']) t.notOk(loaded.includes(name), `${name} not loaded`);
});

t.test('a scrape target or a report endpoint loads the HTTP client', async (t) => {
  const scrape = await loadedBy(['--scrape.targets=[{"url":"http://127.0.0.1:9/metrics"}]']);
  t.ok(scrape.includes('undici'), 'scrape loads undici');
  const report = await loadedBy(['--report.endpoints=http://127.0.0.1:9', '--report.drain_timeout=0s']);
  t.ok(report.includes('undici') && report.includes('msgpackr'), 'the reporter loads undici and msgpackr');
});
