/**
 * Which of Node's own modules a default agent started by the CLI holds by the time it is ready, written at exit by a
 * preload. Two readings: `'required'` lists every built-in some code `require`d (the agent's and its dependencies'),
 * `'loaded'` is process.moduleLoadList (every built-in the process loaded, Node's internal ones included, entries
 * such as `NativeModule http`). The test runner's instrumentation of child processes loads node:crypto itself, so
 * a check that crypto stays unloaded reads `'required'`. `'own'` lists the agent's own modules it evaluated (its
 * require cache under dist/, as `agent/rules/manager.js`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { spawnCli } from './process';

export async function builtinsOfAgent(t: Test, reading: 'required' | 'loaded' | 'own', args: string[] = []): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'outrider-builtins-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const preload = join(dir, 'builtins.js');
  const out = join(dir, 'builtins.txt');
  const write = `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, LIST.join('\\n')));\n`;
  writeFileSync(
    preload,
    reading === 'loaded'
      ? write.replace('LIST', 'process.moduleLoadList')
      : reading === 'own'
        ? write.replace('LIST', `Object.keys(require.cache).filter((f) => f.includes('/dist/agent/')).map((f) => f.slice(f.lastIndexOf('/dist/agent/') + 6))`)
        : `const M = require('node:module'); const ids = new Set(); const req = M.prototype.require;
M.prototype.require = function (id) { const n = String(id).replace(/^node:/, ''); if (M.isBuiltin(n)) ids.add(n); return req.apply(this, arguments); };
${write.replace('LIST', '[...ids]')}`,
  );
  const p = spawnCli(['agent', '--listen=127.0.0.1:0', '--spool.dir=', ...args], { NODE_OPTIONS: `--require=${preload}` });
  try {
    await p.waitForLog(/agent is ready/, 60_000);
  } finally {
    p.child.kill('SIGTERM');
  }
  await p.exited;
  return readFileSync(out, 'utf8').split('\n');
}
