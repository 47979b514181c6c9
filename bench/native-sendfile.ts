// sendfile vs the stream pipeline: 1 GiB file to a loopback socket whose
// reader (a child process) discards the bytes. Reports MB/s and CPU seconds
// per GB (this process + the reader), best of 3 runs each.
//   node dist/bench/native-sendfile.js [MiB]
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { nativeStatus, sendFileNative, sendFileTwin } from '../agent/native';
import { header, now, row } from './native-common';

function readerMain(): void {
  const server = net.createServer((s) => {
    let n = 0;
    s.on('data', (c) => (n += c.length));
    s.on('end', () => {
      const cpu = process.cpuUsage();
      s.end(JSON.stringify({ n, cpu: (cpu.user + cpu.system) / 1e6 }));
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as net.AddressInfo).port));
  process.on('disconnect', () => process.exit(0));
}

async function once(send: typeof sendFileNative, file: string, size: number): Promise<{ secs: number; cpu: number }> {
  const child = fork(__filename, ['reader'], { stdio: 'inherit' });
  const port = await new Promise<number>((r) => child.once('message', (m) => r(m as number)));
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await send(sock, file);
  sock.end();
  const reply = await new Promise<string>((resolve) => {
    let s = '';
    sock.on('data', (c) => (s += c));
    sock.on('end', () => resolve(s));
  });
  const secs = now() - t0;
  const cpu1 = process.cpuUsage(cpu0);
  const r = JSON.parse(reply) as { n: number; cpu: number };
  if (r.n !== size) throw new Error(`reader got ${r.n} of ${size}`);
  child.disconnect();
  return { secs, cpu: (cpu1.user + cpu1.system) / 1e6 + r.cpu };
}

async function main(): Promise<void> {
  header('sendfile vs stream.pipeline, loopback');
  const mib = Number(process.argv[2] ?? 1024);
  const size = mib * 2 ** 20;
  const file = path.join(os.tmpdir(), `outrider-bench-sendfile-${process.pid}`);
  const chunk = crypto.randomBytes(2 ** 20);
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < mib; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  const impls: Array<[string, typeof sendFileNative]> = [['stream.pipeline (twin)', sendFileTwin]];
  if (nativeStatus().available) impls.unshift(['sendfile(2) (native)', sendFileNative]);
  const best = new Map<string, { secs: number; cpu: number }>();
  try {
    for (let run = 0; run < 3; run++) {
      for (const [name, fn] of impls) {
        const r = await once(fn, file, size);
        const b = best.get(name);
        if (!b || r.secs < b.secs) best.set(name, r);
      }
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
  const gb = size / 1e9;
  row(['method', 'MB/s', 'CPU s per GB (sender + reader)', 'MB/s per CPU-second']);
  row(['---', '---', '---', '---']);
  for (const [name] of impls) {
    const r = best.get(name)!;
    row([name, (size / 1e6 / r.secs).toFixed(0), (r.cpu / gb).toFixed(3), (size / 1e6 / r.cpu).toFixed(0)]);
  }
  if (impls.length === 2) {
    const n = best.get(impls[0]![0])!;
    const p = best.get(impls[1]![0])!;
    console.log(`\nsendfile / pipeline: throughput ${(p.secs / n.secs).toFixed(2)}x, throughput per CPU-second ${(size / n.cpu / (size / p.cpu)).toFixed(2)}x`);
  }
}

if (process.argv[2] === 'reader') readerMain();
else void main();
