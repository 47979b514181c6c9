/**
 * node:child_process serves only the systemd-notify fallback: importing the notify module (as every agent start
 * does) does not load it, and the fallback still finds it when it runs.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';

const modulePath = join(__dirname, '..', '..', 'agent', 'native', 'sd-notify.js');

/**
 * Node's own modules a fresh process loaded by the end of `script`. The test runner adds its preload (which loads
 * node:child_process) to NODE_OPTIONS of every child it spawns, so the child is started through `env -u`.
 */
function builtinsAfter(script: string): string[] {
  const wrapped = `${script}; process.stdout.write(process.moduleLoadList.join('\\n'));`;
  const env = { PATH: process.env.PATH ?? '', OUTRIDER_NATIVE: '0' };
  const out = execFileSync('env', ['-u', 'NODE_OPTIONS', process.execPath, '-e', wrapped], { encoding: 'utf8', env });
  return out.trim().split('\n');
}

t.test('importing the notify module does not load node:child_process', async (t) => {
  const loaded = builtinsAfter(`require(${JSON.stringify(modulePath)})`);
  t.ok(loaded.includes('NativeModule fs'), 'the list names what loaded');
  t.notOk(loaded.includes('NativeModule child_process'), 'node:child_process not loaded');
});

t.test('the systemd-notify fallback loads it when it runs', async (t) => {
  // With NOTIFY_SOCKET set, the twin looks for systemd-notify (a child process); whether it is installed or the
  // socket exists does not matter here, only that the module is there when the fallback needs it.
  const loaded = builtinsAfter(
    `process.env.NOTIFY_SOCKET = '/nonexistent/notify.sock'; const m = require(${JSON.stringify(modulePath)}); ` +
      `let answer; try { answer = m.sdNotifyTwin({ READY: 1 }).reason; } catch (e) { answer = e.message; } ` +
      `process.stdout.write(JSON.stringify(answer) + '\\n')`,
  );
  t.match(JSON.parse(loaded[0]) as string, /systemd-notify/, `the twin answered: ${loaded[0]}`);
  t.ok(loaded.includes('NativeModule child_process'), 'node:child_process loaded by the fallback');
});
