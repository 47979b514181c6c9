// Exit-time behaviour of every native primitive: a process that used one exits
// on its own when its work is done, exits within 2 s of SIGTERM, and a worker
// thread that used one ends (or is terminated) cleanly.
//
// Children run on OUTRIDER_TEST_NODE when set (another Node binary, to check
// a second Node major with the same addon: Node-API is ABI-stable), else on
// the Node running this test.
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { nativeStatus } from '../../agent/native';

const node = process.env.OUTRIDER_TEST_NODE || process.execPath;
const script = path.join(__dirname, 'fixtures', 'exit-child.js');
const kExitMs = 2000;
const kStartMs = 60000;

const primitives = ['pool', 'ring', 'statsd', 'sendfile', 'direct-io', 'inflate', 'notify'];
const modes = ['done', 'sigterm', 'worker'] as const;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ms from the child's last line ("done" / SIGTERM sent) to its exit. */
  exitMs: number;
  version: string;
}

function runChild(primitive: string, mode: (typeof modes)[number]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [script, primitive, mode], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let mark = 0;
    let version = '';
    // Start-up on a loaded machine is not what is measured; only the exit is.
    const hardStop = setTimeout(() => child.kill('SIGKILL'), kStartMs);
    let exitStop: NodeJS.Timeout | undefined;
    const armExit = () => {
      mark = performance.now();
      exitStop = setTimeout(() => child.kill('SIGKILL'), kExitMs * 5);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      for (const line of d.split('\n')) {
        if (line.startsWith('native ')) version = line.slice(7);
        if (line === 'done') armExit();
        if (line === 'ready') {
          armExit();
          child.kill('SIGTERM');
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(hardStop);
      clearTimeout(exitStop);
      resolve({ code, signal, stdout, stderr, exitMs: mark ? performance.now() - mark : Infinity, version });
    });
  });
}

const status = nativeStatus();
const skip = status.available ? false : `native addon unavailable: ${status.reason}`;

for (const primitive of primitives) {
  t.test(`${primitive}: exits cleanly`, { skip }, async (t) => {
    for (const mode of modes) {
      const r = await runChild(primitive, mode);
      const what = `${primitive} ${mode} on node ${r.version || '?'}`;
      t.equal(r.stderr, '', `${what}: nothing on stderr`);
      t.equal(r.signal, null, `${what}: not killed (${r.signal ?? ''})`);
      t.equal(r.code, 0, `${what}: exit code 0`);
      t.ok(r.exitMs <= kExitMs, `${what}: exited ${Math.round(r.exitMs)} ms after ${mode === 'sigterm' ? 'SIGTERM' : 'its work'} (limit ${kExitMs} ms)`);
    }
  });
}
