import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ErrorCode, sendFileNative, sendFileTwin, type SendFileOptions, type SendFileSource, type SendFileTarget } from '../../agent/native';
import { bothImpls, expectRejectCode } from './harness';

type SendFn = (target: SendFileTarget, source: SendFileSource, opts?: SendFileOptions) => Promise<number>;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-sendfile-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

function makeFile(name: string, size: number): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, crypto.randomBytes(size));
  return p;
}

function makeSparse(name: string, size: number): string {
  const p = path.join(dir, name);
  const fd = fs.openSync(p, 'w');
  fs.ftruncateSync(fd, size);
  // Markers at the start, across the 2 GiB boundary and near the end.
  for (const at of [0, Math.min(2 ** 31 - 3, size - 16), size - 11]) fs.writeSync(fd, Buffer.from('outrider-mark'.slice(0, 10)), 0, 10, at);
  fs.closeSync(fd);
  return p;
}

async function sha256(p: string, start: number, length: number): Promise<string> {
  const h = crypto.createHash('sha256');
  if (length > 0) for await (const c of fs.createReadStream(p, { start, end: start + length - 1, highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

interface Sink {
  port: number;
  result: Promise<{ hash: string; bytes: number }>;
  close(): void;
}

// Loopback receiver that hashes and discards everything it gets.
function sink(opts: { pauseMs?: number; dropAfter?: number } = {}): Promise<Sink> {
  return new Promise((resolve) => {
    let done!: (v: { hash: string; bytes: number }) => void;
    const result = new Promise<{ hash: string; bytes: number }>((r) => (done = r));
    const server = net.createServer((s) => {
      const h = crypto.createHash('sha256');
      let bytes = 0;
      if (opts.pauseMs) {
        s.pause();
        setTimeout(() => s.resume(), opts.pauseMs);
      }
      s.on('data', (c) => {
        h.update(c);
        bytes += c.length;
        if (opts.dropAfter !== undefined && bytes >= opts.dropAfter) s.resetAndDestroy();
      });
      s.on('error', () => {});
      s.on('close', () => done({ hash: h.digest('hex'), bytes }));
    });
    server.listen(0, '127.0.0.1', () => {
      resolve({ port: (server.address() as net.AddressInfo).port, result, close: () => server.close() });
    });
  });
}

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((res, rej) => {
    s.once('connect', res);
    s.once('error', rej);
  });
  return s;
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

bothImpls<SendFn>(t, 'sendfile', { native: () => sendFileNative, twin: () => sendFileTwin }, async (t, send, kind) => {
  await t.test('byte-exact on loopback: 0 B, 1 B, odd sizes, ranges', async (t) => {
    const cases: Array<[number, SendFileOptions]> = [
      [0, {}],
      [1, {}],
      [4097, {}],
      [65537, {}],
      [1_000_003, {}],
      [1_000_003, { offset: 3, length: 999_999 }],
      [5000, { offset: 4999 }],
      [5000, { offset: 5000 }],
    ];
    for (const [size, opts] of cases) {
      const p = makeFile(`f-${size}`, size);
      const sk = await sink();
      const sock = await connect(sk.port);
      sock.write('hdr:'); // pending writes are flushed before the transfer
      const n = await send(sock, p, opts);
      sock.end();
      const got = await sk.result;
      sk.close();
      const start = opts.offset ?? 0;
      const len = opts.length ?? size - start;
      t.equal(n, len, `${size} B ${JSON.stringify(opts)}: count`);
      const h = crypto.createHash('sha256').update('hdr:');
      if (len) h.update(fs.readFileSync(p).subarray(start, start + len));
      t.equal(got.hash, h.digest('hex'), `${size} B ${JSON.stringify(opts)}: SHA-256`);
    }
  });

  await t.test('fd and FileHandle sources, socket stays usable', async (t) => {
    const p = makeFile('fh', 300_000);
    const sk = await sink();
    const sock = await connect(sk.port);
    const fh = await fs.promises.open(p, 'r');
    await send(sock, fh, { offset: 0, length: 100_000 });
    await send(sock, fh.fd, { offset: 100_000 });
    await fh.close();
    sock.end('tail');
    const got = await sk.result;
    sk.close();
    t.equal(got.hash, crypto.createHash('sha256').update(fs.readFileSync(p)).update('tail').digest('hex'));
  });

  await t.test('slow reader (EAGAIN on the non-blocking socket)', async (t) => {
    const p = makeFile('slow', 24 * 1024 * 1024 + 7);
    const sk = await sink({ pauseMs: 300 });
    const sock = await connect(sk.port);
    const n = await send(sock, p);
    sock.end();
    const got = await sk.result;
    sk.close();
    t.equal(n, 24 * 1024 * 1024 + 7);
    t.equal(got.hash, await sha256(p, 0, n));
  });

  await t.test('sparse multi-GB file', async (t) => {
    const size = kind === 'native' ? 2 ** 31 + 5 * 2 ** 20 + 13 : 512 * 2 ** 20 + 13;
    const p = makeSparse(`sparse-${kind}`, size);
    t.ok(fs.statSync(p).blocks * 512 < 1 << 20, 'file is sparse');
    const sk = await sink();
    const sock = await connect(sk.port);
    const t0 = process.hrtime.bigint();
    const n = await send(sock, p);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    sock.end();
    const got = await sk.result;
    sk.close();
    t.equal(n, size);
    t.equal(got.bytes, size);
    t.equal(got.hash, await sha256(p, 0, size), `SHA-256 of ${(size / 2 ** 30).toFixed(2)} GiB (${(size / 2 ** 20 / secs).toFixed(0)} MiB/s incl. hashing)`);
    fs.rmSync(p);
  });

  await t.test('peer closes mid-transfer: clean error, no fd leak', async (t) => {
    const p = makeSparse('drop', 256 * 2 ** 20);
    const before = openFds();
    const sk = await sink({ dropAfter: 1 << 20 });
    const sock = await connect(sk.port);
    sock.on('error', () => {});
    const err = await send(sock, p).then(
      () => null,
      (e: unknown) => e as { code?: string; errno?: string },
    );
    t.ok(err, 'rejected');
    t.equal(err?.code, ErrorCode.SENDFILE);
    t.ok(['EPIPE', 'ECONNRESET'].includes(String(err?.errno)), `errno ${err?.errno}`);
    t.ok(sock.destroyed, 'socket destroyed with the error');
    await sk.result;
    sk.close();
    await new Promise((r) => setTimeout(r, 50));
    t.equal(openFds(), before, 'no fd leaked');
  });

  await t.test('bad input gets coded errors', async (t) => {
    const p = makeFile('small', 100);
    const sk = await sink();
    const sock = await connect(sk.port);
    await expectRejectCode(t, send('sock' as unknown as net.Socket, p), ErrorCode.INVALID_ARG);
    await expectRejectCode(t, send(sock, p, { offset: -1 }), ErrorCode.INVALID_ARG);
    await expectRejectCode(t, send(sock, p, { length: 1.5 }), ErrorCode.INVALID_ARG);
    await expectRejectCode(t, send(sock, p, { offset: 50, length: 51 }), ErrorCode.SENDFILE_SHORT);
    await expectRejectCode(t, send(sock, path.join(dir, 'missing')), ErrorCode.SENDFILE);
    await expectRejectCode(t, send(sock, {} as unknown as string), ErrorCode.INVALID_ARG);
    await expectRejectCode(t, send(-1, p), ErrorCode.INVALID_ARG);
    const closedFd = fs.openSync(p, 'r');
    fs.closeSync(closedFd);
    await expectRejectCode(t, send(sock, closedFd), ErrorCode.SENDFILE, 'closed source fd');
    sock.destroy();
    await expectRejectCode(t, send(sock, p), ErrorCode.SENDFILE, 'destroyed socket');
    sk.close();
  });
});
