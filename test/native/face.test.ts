// The native face: one error class (native errors included), the typed StatsD
// receiver's validation and listen errors, and a production addon that
// exports only what the agent calls.
import dgram from 'node:dgram';
import t from 'tap';
import { isOutriderError as coreIsOutriderError, OutriderError as CoreOutriderError } from '../../agent/core/errors';
import { createStatsdReceiver, crc32c, ErrorCode, isOutriderError, nativeStatus } from '../../agent/native';
import { nativeBinding } from '../../agent/native/loader';

t.test('native errors are the agent\'s OutriderError', async (t) => {
  let caught: unknown;
  try {
    crc32c('not bytes' as unknown as Uint8Array);
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof CoreOutriderError, 'instance of core OutriderError');
  t.ok(coreIsOutriderError(caught, ErrorCode.INVALID_ARG), 'core isOutriderError recognises it by code');
  t.ok(isOutriderError(caught), 'the native re-export is the same function');
});

const skip = nativeStatus().available ? false : `native addon unavailable: ${nativeStatus().reason}`;

t.test('production addon exports no test harness', { skip }, async (t) => {
  const b = nativeBinding() as unknown as Record<string, unknown>;
  for (const name of ['ringProduce', 'ringConsume', 'ringBenchNative', 'ringWake', 'unixDgramBind', 'unixDgramRecv', 'closeFd', 'crc32cTable', 'crc32cHardware', 'snappyCompress', 'snappyUncompress']) {
    t.equal(b[name], undefined, `${name} is not exported`);
  }
  t.notOk((b.bindings as string[]).includes('ring'), 'no ring binding');
});

t.test('StatsD receiver: options validated before the addon sees them', { skip }, async (t) => {
  const udp = { kind: 'udp', host: '127.0.0.1', port: 0, family: 4 } as const;
  const bad: Array<[string, unknown]> = [
    ['no listeners', { listeners: [] }],
    ['port', { listeners: [{ ...udp, port: 70000 }] }],
    ['family', { listeners: [{ ...udp, family: 5 }] }],
    ['kind', { listeners: [{ ...udp, kind: 'tcp' }] }],
    ['unix path', { listeners: [{ kind: 'unix', path: '' }] }],
    ['threads', { listeners: [udp], threads: 0 }],
    ['ringBytes', { listeners: [udp], ringBytes: 100000 }],
    ['maxPacketBytes', { listeners: [udp], maxPacketBytes: 0 }],
  ];
  for (const [what, opts] of bad) {
    t.throws(() => createStatsdReceiver(opts as never), { code: ErrorCode.INVALID_ARG }, `${what}: INVALID_ARG`);
  }
  const r = createStatsdReceiver({ listeners: [udp] });
  t.throws(() => r.start(), { code: ErrorCode.INVALID_ARG }, 'start before open');
  r.stop();
});

t.test('StatsD receiver: a busy port names the listener and its errno', { skip }, async (t) => {
  const holder = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
  const port = holder.address().port;
  const r = createStatsdReceiver({
    listeners: [
      { kind: 'udp', host: '127.0.0.1', port: 0, family: 4 },
      { kind: 'udp', host: '127.0.0.1', port, family: 4 },
    ],
  });
  let caught: unknown;
  try {
    r.open();
  } catch (err) {
    caught = err;
  }
  t.ok(isOutriderError(caught, ErrorCode.STATSD_LISTEN), 'STATSD_LISTEN');
  const e = caught as CoreOutriderError;
  t.equal(e.errno, 'EADDRINUSE');
  t.equal(e.details?.listener, 1, 'the second listener failed');
  r.stop();
  holder.close();
});
