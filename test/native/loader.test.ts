import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { nativeStatus } from '../../agent/native';

const index = path.resolve(__dirname, '../../agent/native/index.js');

function statusWith(env: Record<string, string | undefined>): { status: { available: boolean; reason: string; path?: string }; crc: number; pool: string } {
  const code = `const n = require(${JSON.stringify(index)});
    const p = n.createThreadPool();
    console.log(JSON.stringify({ status: n.nativeStatus(), crc: n.crc32c(Buffer.from('123456789')), pool: p.kind }));
    p.close();`;
  const r = spawnSync(process.execPath, ['-e', code], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

t.test('status of this process', async (t) => {
  const s = nativeStatus();
  t.type(s.available, 'boolean');
  t.type(s.reason, 'string');
  t.comment(`native: ${s.available} (${s.reason})`);
  if (process.platform === 'linux' && process.env.OUTRIDER_NATIVE !== '0') t.equal(s.available, true, 'the addon is built and loads on Linux');
});

t.test('OUTRIDER_NATIVE=0 forces the twins', async (t) => {
  const r = statusWith({ OUTRIDER_NATIVE: '0' });
  t.equal(r.status.available, false);
  t.match(r.status.reason, /OUTRIDER_NATIVE=0/);
  t.equal(r.crc, 0xe3069283, 'twin CRC works');
  t.equal(r.pool, 'twin');
});

t.test('a missing or broken addon never throws', async (t) => {
  const missing = statusWith({ OUTRIDER_NATIVE_PATH: '/nonexistent/outrider_native.node', OUTRIDER_NATIVE: undefined });
  t.equal(missing.status.available, false);
  t.match(missing.status.reason, /not built/);
  t.equal(missing.pool, 'twin');
  const broken = statusWith({ OUTRIDER_NATIVE_PATH: __filename.replace(/\.js$/, '.js.map'), OUTRIDER_NATIVE: undefined });
  t.equal(broken.status.available, false);
  const notNode = statusWith({ OUTRIDER_NATIVE_PATH: path.resolve(__dirname, 'harness.js'), OUTRIDER_NATIVE: undefined });
  t.equal(notNode.status.available, false, 'a module that is not the addon is refused');
  t.match(notNode.status.reason, /lacks/);
});
