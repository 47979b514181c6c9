import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { haveSystemdNotify, nativeNotify, oneLine, watchdogIntervalMs } from '../../agent/native/sd-notify';

const repo = join(__dirname, '..', '..', '..');
const inCI = process.env.CI === 'true';
const havePython = spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0;
const transports: Array<{ name: string; env: NodeJS.ProcessEnv; skip: string | false }> = [
  { name: 'native addon', env: {}, skip: nativeNotify() ? false : 'the native addon is not built' },
  // OUTRIDER_NATIVE=0 makes the agent use the pure-TS twins, i.e. systemd-notify.
  { name: 'systemd-notify', env: { OUTRIDER_NATIVE: '0' }, skip: haveSystemdNotify() ? false : 'systemd-notify is not installed (apt-get install systemd)' },
];

t.test('watchdog interval is half of WATCHDOG_USEC, only for our PID', async (t) => {
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }), 15_000);
  t.equal(watchdogIntervalMs({}), undefined);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '0' }), undefined);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '1000000', WATCHDOG_PID: String(process.pid) }), 500);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '1000000', WATCHDOG_PID: '1' }, 42), undefined);
  t.equal(oneLine('a\nb\r\nc'), 'a b c');
});

/** Collects datagrams; `waitFor` resolves when a predicate over everything seen so far holds. */
class Receiver {
  readonly messages: string[] = [];
  #waiters: Array<() => void> = [];
  constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      this.messages.push(JSON.parse(line) as string);
      for (const w of this.#waiters) w();
    });
  }
  waitFor(what: string, pred: (m: string[]) => boolean, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.filter((m) => m !== 'WATCHDOG=1'))}`)), timeoutMs);
      const check = () => {
        if (pred(this.messages)) {
          clearTimeout(timer);
          this.#waiters = this.#waiters.filter((w) => w !== check);
          resolve();
        }
      };
      this.#waiters.push(check);
      check();
    });
  }
}

const has = (m: string[], line: string, from = 0) => m.slice(from).some((x) => x.split('\n').includes(line));
const index = (m: string[], line: string, from = 0) => m.findIndex((x, i) => i >= from && x.split('\n').includes(line));

for (const tr of transports) {
  const skip = !havePython ? 'python3 is not installed (it plays systemd in this test)' : tr.skip;
  t.test(`the agent speaks sd_notify to a NOTIFY_SOCKET (${tr.name})`, { skip: skip && !inCI ? skip : false }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'outrider-notify-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const socket = join(dir, 'notify.sock');
    const py = spawn('python3', [join(repo, 'test', 'deploy', 'helpers', 'notify-socket.py'), socket], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.teardown(() => {
      py.stdin?.end();
      py.kill();
    });
    const rx = new Receiver(py);
    await rx.waitFor('the receiver', (m) => m.includes('LISTENING'));

    const env: NodeJS.ProcessEnv = { ...process.env, NOTIFY_SOCKET: socket, WATCHDOG_USEC: '400000' };
    delete env.WATCHDOG_PID;
    for (const k of Object.keys(env)) if (k.startsWith('OUTRIDER_')) delete env[k];
    Object.assign(env, tr.env);
    const agent = spawn(process.execPath, [join(repo, 'bin', 'outrider.js'), 'agent', '--listen=127.0.0.1:0', '--statsd.listen=udp://127.0.0.1:0', '--log-level=warn'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    agent.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => agent.on('exit', (code) => resolve(code)));
    t.teardown(() => {
      if (agent.exitCode === null) agent.kill('SIGKILL');
    });

    await rx.waitFor('READY=1', (m) => has(m, 'READY=1'));
    const ready = rx.messages.find((m) => m.split('\n').includes('READY=1'))!;
    t.match(ready, /STATUS=serving http:\/\/127\.0\.0\.1:\d+/, 'READY comes with a STATUS line');
    t.ok(index(rx.messages, 'STATUS=Starting: opening listeners and running the first collection') < index(rx.messages, 'READY=1'), 'a starting STATUS before READY');

    // 400ms watchdog → a ping about every 200ms. Count over a window, generously: at least a few, not a flood.
    const before = rx.messages.filter((m) => m === 'WATCHDOG=1').length;
    await new Promise((r) => setTimeout(r, 2500));
    const pings = rx.messages.filter((m) => m === 'WATCHDOG=1').length - before;
    t.ok(pings >= 3, `watchdog pinged ${pings} times in 2.5s (expected about 12)`);
    t.ok(pings <= 60, `watchdog not pinged in a tight loop (${pings})`);

    const mark = rx.messages.length;
    agent.kill('SIGHUP');
    await rx.waitFor('RELOADING=1 then READY=1', (m) => {
      const r = index(m, 'RELOADING=1', mark);
      return r >= 0 && index(m, 'READY=1', r + 1) > r;
    });
    const reloading = rx.messages[index(rx.messages, 'RELOADING=1', mark)]!;
    t.match(reloading, /MONOTONIC_USEC=\d+/);
    t.match(reloading, /STATUS=Reloading/);

    const mark2 = rx.messages.length;
    agent.kill('SIGTERM');
    await rx.waitFor('STOPPING=1', (m) => has(m, 'STOPPING=1', mark2));
    t.equal(await exited, 0, 'clean exit after SIGTERM');
    t.notMatch(stderr, /names no config key/, 'no unknown-variable warnings');
  });
}
