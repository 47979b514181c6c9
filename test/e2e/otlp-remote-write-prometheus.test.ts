// A real Prometheus (agent mode) scrapes the agent and remote-writes what it scraped back into the agent's
// POST /api/v1/write; Prometheus's own `up` series must then be on the agent's /metrics.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from '../helpers/agent';
import { haveCommand, requireTool } from '../helpers/tools';

t.test('Prometheus remote_write into the push listener', requireTool(haveCommand('prometheus'), 'prometheus'), async (t) => {
  const a = await startAgent({ 'push.listen': '127.0.0.1:0' });
  t.teardown(() => a.stop());
  const push = /listening on (\S+)/.exec(a.agent.health.get('push')?.detail ?? '')![1]!;
  const target = new URL(a.url).host;
  const dir = mkdtempSync(join(tmpdir(), 'outrider-prom-rw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s }',
      'scrape_configs:',
      `  - job_name: outrider`,
      `    static_configs: [{ targets: ['${target}'] }]`,
      'remote_write:',
      `  - url: ${push}/api/v1/write`,
      '    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s }',
    ].join('\n'),
  );
  const prom = spawn(
    'prometheus',
    ['--enable-feature=agent', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.agent.path=${join(dir, 'data')}`, '--web.listen-address=127.0.0.1:0', '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  prom.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  t.teardown(() => void prom.kill('SIGKILL'));
  const series = `up{instance="${target}",job="outrider"}`;
  let line: string | undefined;
  for (let i = 0; i < 300 && !line; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const text = await (await fetch(a.url + '/metrics')).text();
    line = text.split('\n').find((l) => l.startsWith(series + ' '));
  }
  t.ok(line, `${series} arrived through remote write${line ? '' : `; prometheus said: ${stderr.slice(-2000)}`}`);
  t.match(line ?? '', new RegExp(`^${series.replace(/[{}.]/g, '\\$&')} 1 \\d{13}$`), 'value 1 with the scrape timestamp');
});
