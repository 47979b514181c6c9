import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import * as m from '../../agent/native';
import { ErrorCode, nativeStatus, sdNotifyNative, sdNotifyTwin, type SdNotifyResult, type SdNotifyState } from '../../agent/native';
import { nativeTestBinding } from './support/testing-binding';
import { bothImpls, expectCode } from './harness';

type NotifyFn = (s: SdNotifyState) => SdNotifyResult;

// A datagram receiver playing systemd: the addon's test helper when loaded,
// else python3 (Node cannot bind AF_UNIX datagram sockets).
interface Receiver {
  address: string;
  next(timeoutMs?: number): Promise<string | null>;
  close(): void;
}

function nativeReceiver(address: string): Receiver {
  const b = nativeTestBinding();
  const fd = b.unixDgramBind(address);
  return {
    address,
    next: async (ms = 2000) => {
      const r = await b.unixDgramRecv(fd, ms);
      return r === null ? null : r.toString();
    },
    close: () => b.closeFd(fd),
  };
}

function withEnv<T>(value: string | undefined, fn: () => T): T {
  const old = process.env.NOTIFY_SOCKET;
  if (value === undefined) delete process.env.NOTIFY_SOCKET;
  else process.env.NOTIFY_SOCKET = value;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env.NOTIFY_SOCKET;
    else process.env.NOTIFY_SOCKET = old;
  }
}

const hasSystemdNotify = spawnSync('sh', ['-c', 'command -v systemd-notify']).status === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-notify-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

bothImpls<NotifyFn>(t, 'sd_notify', { native: () => sdNotifyNative, twin: () => sdNotifyTwin }, async (t, notify, kind) => {
  t.same(withEnv(undefined, () => notify({ READY: 1 })), { sent: false, reason: 'NOTIFY_SOCKET is not set' }, 'no-op without NOTIFY_SOCKET');
  expectCode(t, () => notify(''), ErrorCode.INVALID_ARG);
  expectCode(t, () => notify({ 'bad key': 1 }), ErrorCode.INVALID_ARG);
  expectCode(t, () => notify({ STATUS: 'two\nlines' }), ErrorCode.INVALID_ARG);
  expectCode(t, () => notify('READY=1\0'), ErrorCode.INVALID_ARG);
  expectCode(t, () => notify(42 as unknown as string), ErrorCode.INVALID_ARG);

  if (kind === 'twin') {
    const r = withEnv(path.join(dir, 'nobody'), () => (hasSystemdNotify ? null : notify({ READY: 1 })));
    if (r) t.same(r.sent, false, `twin without systemd-notify reports: ${r.reason}`);
    return;
  }
  for (const address of [path.join(dir, 'notify.sock'), `@outrider-test-${process.pid}`]) {
    const rx = nativeReceiver(address);
    try {
      const states: SdNotifyState[] = [
        { READY: 1, STATUS: 'listening on 127.0.0.1:9100' },
        { WATCHDOG: 1 },
        { RELOADING: 1, MONOTONIC_USEC: 123 },
        { STOPPING: 1 },
        { MAINPID: process.pid },
        'STATUS=raw string',
      ];
      for (const s of states) {
        const r = withEnv(address, () => notify(s));
        t.equal(r.sent, true);
        const expected = typeof s === 'string' ? s : Object.entries(s).map(([k, v]) => `${k}=${v}`).join('\n');
        t.equal(await rx.next(), expected, `${address.startsWith('@') ? 'abstract' : 'path'}: ${expected.replace(/\n/g, '\\n')}`);
      }
    } finally {
      rx.close();
    }
  }
  t.throws(() => withEnv(path.join(dir, 'nobody-listens'), () => notify({ READY: 1 })), { code: ErrorCode.NOTIFY, errno: 'ENOENT' }, 'missing socket: coded error with errno');
  t.throws(() => withEnv('relative/path', () => notify({ READY: 1 })), { code: ErrorCode.INVALID_ARG });
});

t.test('helpers', { skip: nativeStatus().available ? false : nativeStatus().reason }, async (t) => {
  const address = path.join(dir, 'helpers.sock');
  const rx = nativeReceiver(address);
  t.teardown(() => rx.close());
  withEnv(address, () => m.notifyReady('up'));
  t.equal(await rx.next(), 'READY=1\nSTATUS=up');
  withEnv(address, () => m.notifyReloading());
  t.match(await rx.next(), /^RELOADING=1\nMONOTONIC_USEC=\d+$/);
  withEnv(address, () => m.notifyWatchdog());
  t.equal(await rx.next(), 'WATCHDOG=1');
  withEnv(address, () => m.notifyStopping());
  t.equal(await rx.next(), 'STOPPING=1');
  t.throws(() => m.notifyMainPid(-3), { code: ErrorCode.INVALID_ARG });
  t.equal(await rx.next(50), null, 'nothing else arrived');
});

// The twin's systemd-notify path against a receiver in another process (the
// twin blocks in spawnSync while systemd-notify waits on its BARRIER=1, so
// the receiver cannot run on this thread). Needs the systemd package; a
// missing systemd-notify is a skip locally and a failure in CI.
const sdnSkip =
  !hasSystemdNotify && process.env.CI !== 'true'
    ? 'systemd-notify not found (apt-get install -y systemd)'
    : !nativeStatus().available
      ? `the test receiver uses the addon's datagram helper: ${nativeStatus().reason}`
      : false;
t.test('twin through systemd-notify', { skip: sdnSkip }, async (t) => {
  if (!hasSystemdNotify) {
    t.fail('systemd-notify is not installed; CI must run apt-get install -y systemd');
    return;
  }
  for (const address of [path.join(dir, 'systemd-notify.sock'), `@outrider-sdn-${process.pid}`]) {
    const rx = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'dgram-receiver.js'), address], { stdio: ['pipe', 'pipe', 'inherit'] });
    const got: string[] = [];
    let buf = '';
    const ready = new Promise<void>((resolve, reject) => {
      rx.once('exit', (code, signal) => reject(new Error(`receiver exited (${code ?? signal})`)));
      rx.stdout!.on('data', (c: Buffer) => {
        buf += c.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          if (l === 'ready') resolve();
          else got.push(JSON.parse(l) as string);
        }
      });
    });
    const exited = new Promise((r) => rx.once('exit', r));
    await ready;
    const states: SdNotifyState[] = [{ READY: 1, STATUS: 'listening on 127.0.0.1:9100' }, { WATCHDOG: 1 }, { RELOADING: 1, MONOTONIC_USEC: 123 }, { STOPPING: 1 }, 'STATUS=raw string'];
    for (const s of states) {
      const r = withEnv(address, () => sdNotifyTwin(s));
      t.same(r, { sent: true, reason: 'via systemd-notify (requires NotifyAccess=all)' });
    }
    rx.stdin!.end();
    await exited;
    const label = address.startsWith('@') ? 'abstract' : 'path';
    // systemd >= 246 follows each message with BARRIER=1 and waits until it is received.
    const messages = got.filter((m) => m !== 'BARRIER=1');
    t.comment(`${label}: ${got.length - messages.length} BARRIER=1 datagrams besides the messages`);
    t.same(
      messages,
      states.map((s) => (typeof s === 'string' ? s : Object.entries(s).map(([k, v]) => `${k}=${v}`).join('\n'))),
      `${label}: each call arrives as one datagram holding the assignments, in order`,
    );
  }
  t.throws(() => withEnv(path.join(dir, 'nobody-listens-sdn'), () => sdNotifyTwin({ READY: 1 })), { code: ErrorCode.NOTIFY }, 'systemd-notify failure is a coded error');
});
