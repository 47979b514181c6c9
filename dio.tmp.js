const { Spool } = require('./dist/agent/report/spool/spool');
const { directSegmentIO } = require('./dist/agent/report/spool/segment-io');
const fs = require('fs'); const path = require('path'); const { execFileSync } = require('child_process');
(async () => {
  const base = fs.mkdtempSync('/tmp/dio-');
  const rec = Buffer.alloc(256 * 1024, 7);
  for (let round = 0; round < 3; round++) {
    const dir = path.join(base, 'sp' + round);
    const spool = new Spool({ dir, segmentBytes: 64 << 20, maxBytes: 64 * 2 ** 30, policy: 'stop_accepting', writeThrough: false, maxRecordBytes: 64 << 20, io: directSegmentIO });
    spool.open();
    const t0 = process.hrtime.bigint();
    let rot = 0n; const slow = [];
    for (let i = 0; i < 1024; i++) { const a = process.hrtime.bigint(); await spool.append(rec, 1, i + 1); const d = process.hrtime.bigint() - a; if (d > 5_000_000n) { rot += d; slow.push(i + ":" + (Number(d) / 1e6).toFixed(0)); } }
    const t1 = process.hrtime.bigint();
    await spool.flush();
    const t2 = process.hrtime.bigint();
    await spool.close();
    const ms = (x) => (Number(x) / 1e6).toFixed(0);
    console.log(slow.join(" ")); console.log(`appends ${ms(t1 - t0)} ms (slow appends >5ms total ${ms(rot)} ms), final flush ${ms(t2 - t1)} ms, total ${ms(t2 - t0)} ms = ${(268 / (Number(t2 - t0) / 1e9)).toFixed(0)} MB/s`);
    const dd = execFileSync('sh', ['-c', `dd if=/dev/zero of=${base}/dd.out bs=1M count=256 oflag=direct conv=fdatasync 2>&1 >/dev/null`]).toString().trim().split('\n').pop();
    console.log('dd:', dd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.rmSync(base, { recursive: true, force: true });
})();
