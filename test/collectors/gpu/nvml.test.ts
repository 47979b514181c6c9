/**
 * The NVIDIA path end to end: the addon dlopens a fake libnvidia-ml (test/fixtures/gpu/fake-nvml.c), calls it on
 * its own thread, and the collector renders dcgm-exporter's families. Also run under ASan by scripts/native-test.js.
 */
import { agentKeys } from '../../../agent/keys';
import t from 'tap';
import { join } from 'node:path';
import { Config } from '../../../agent/config/config';
import { gpuCollector } from '../../../agent/collectors/gpu/index';
import { NvmlBusyError, NvmlTimeoutError, openNvml } from '../../../agent/native/gpu';
import { nativeBinding } from '../../../agent/native/loader';
import { silentLogger } from '../../../agent/core/log';
import { fakeNvml, gpuFixtures, renderRun } from './fake-nvml';
import { checkGolden } from './golden';

const paths = { procfs: join(gpuFixtures, 'proc'), sysfs: join(gpuFixtures, 'no-such-sys'), rootfs: '/' };
const podUid = '1234abcd-5678-90ef-1234-567890abcdef';
const procs = { proc0: '100:1073741824,200:2147483648,300:4096', proc1: '100:524288' };
const configFor = (lib: string, extra: Record<string, unknown> = {}) => Config.defaults(agentKeys).with({ 'collectors.gpu.nvml_library': lib, ...extra });
const ctxFor = (config: Config, log = silentLogger()) => ({ paths, config, log, signal: new AbortController().signal, nowMs: 0, issues: [] });

if (!(nativeBinding() as { NvmlSession?: unknown } | null)?.NvmlSession) {
  t.fail('the native addon with its gpu binding is required (npm run build:native)');
} else {
  t.test('snapshot: values in NVML units, unsupported fields with their code, processes, XID', async (t) => {
    const fake = fakeNvml({ ...procs, xid: 79 });
    const nvml = openNvml(fake.path)!;
    const snap = await nvml.collect(5000);
    t.equal(snap.error, undefined);
    t.equal(snap.driverVersion, '550.54.15');
    t.equal(snap.devices.length, 2);
    const [h100, t4] = snap.devices;
    t.equal(h100!.name, 'NVIDIA H100 80GB HBM3');
    t.equal(h100!.pciBusId, '00000000:18:00.0');
    t.same(h100!.values.powerUsage, 312456);
    t.same(h100!.values.fbUsed, 42949672960);
    t.same(h100!.codes, {});
    t.same(t4!.codes, { energy: 3, pcieTx: 3, pcieRx: 3, eccSbeVolatile: 3, eccDbeVolatile: 3, eccSbeAggregate: 3, eccDbeAggregate: 3, throttleReasons: 3 });
    t.same(
      h100!.processes.map((p) => [p.pid, p.usedBytes]),
      [
        [100, 1073741824],
        [200, 2147483648],
        [300, 4096],
      ],
    );
    t.same(snap.xids, [{ index: 1, xid: 79 }]);
    t.equal(nvml.close(), true);
    t.ok(fake.shutDown(), 'nvmlShutdown ran at close');
  });

  t.test("dcgm-exporter families render the golden exposition (sidecar: GPU 0 only, the pod's processes)", async (t) => {
    const fake = fakeNvml({ ...procs, xid: 79 });
    const c = gpuCollector({ hostname: 'node-a', env: { NVIDIA_VISIBLE_DEVICES: 'GPU-00000000-1111-2222-3333-444455556660', OUTRIDER_POD_UID: podUid } });
    const text = await renderRun([c], configFor(fake.path), paths);
    await c.close?.();
    checkGolden(t, 'nvidia-sidecar.prom', text);
    t.notMatch(text, 'gpu="1"');
    t.match(text, 'pid="100"');
    t.notMatch(text, 'pid="200"', 'a process of another pod is left out');
    t.notMatch(text, 'pid="300"', 'a process outside the PID namespace is left out');
  });

  t.test('host: every GPU and process; XID, unsupported fields and units', async (t) => {
    const fake = fakeNvml({ ...procs, xid: 79 });
    const c = gpuCollector({ hostname: 'node-a', env: {} });
    const text = await renderRun([c], configFor(fake.path), paths);
    await c.close?.();
    checkGolden(t, 'nvidia-host.prom', text);
    // Labels render sorted by name.
    t.match(
      text,
      'DCGM_FI_DEV_POWER_USAGE{DCGM_FI_DRIVER_VERSION="550.54.15",Hostname="node-a",UUID="GPU-00000000-1111-2222-3333-444455556660",device="nvidia0",gpu="0",modelName="NVIDIA H100 80GB HBM3",pci_bus_id="00000000:18:00.0"} 312.456\n',
    );
    t.match(text, /DCGM_FI_DEV_FB_USED\{.*gpu="0".*\} 40960\n/);
    t.match(text, /DCGM_FI_DEV_XID_ERRORS\{.*gpu="1".*\} 79\n/);
    t.match(text, /DCGM_FI_DEV_XID_ERRORS\{.*gpu="0".*\} 0\n/);
    t.match(text, 'outrider_gpu_xid_errors_total{UUID="GPU-00000001-1111-2222-3333-444455556661",gpu="1",xid="79"} 1\n');
    t.match(text, 'outrider_gpu_field_unsupported{UUID="GPU-00000001-1111-2222-3333-444455556661",code="3",field="DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",gpu="1"} 1\n');
    t.notMatch(text, /DCGM_FI_DEV_ECC_DBE_VOL_TOTAL\{.*gpu="1"/);
    t.match(text, 'pid="200"');
  });

  t.test('visible devices by index; none', async (t) => {
    const fake = fakeNvml();
    const c = gpuCollector({ hostname: 'h', env: { NVIDIA_VISIBLE_DEVICES: '1' } });
    const text = await renderRun([c], configFor(fake.path), paths);
    t.match(text, /DCGM_FI_DEV_GPU_UTIL\{.*gpu="1"/);
    t.notMatch(text, 'gpu="0"');
    const c2 = gpuCollector({ hostname: 'h', env: { NVIDIA_VISIBLE_DEVICES: '0' } });
    const none = await renderRun([c2], configFor(fake.path, { 'collectors.gpu.visible_devices': 'none' }), paths);
    t.notMatch(none, 'DCGM_FI_DEV');
    await c.close?.();
    await c2.close?.();
  });

  t.test('no library, or nvmlInit failing: no data, logged once at debug, not retried', async (t) => {
    for (const lib of [join(gpuFixtures, 'no-such-libnvidia-ml.so.1'), fakeNvml({ init: 9 }).path]) {
      const debug: unknown[] = [];
      const log = Object.assign(Object.create(silentLogger()), { debug: (o: unknown) => debug.push(o) });
      let opened = 0;
      const c = gpuCollector({ openNvml: (p) => (opened++, openNvml(p)) });
      const ctx = ctxFor(configFor(lib), log);
      t.same(await c.collect(ctx), []);
      t.same(await c.collect(ctx), []);
      t.equal(opened, 1, 'the library is tried once');
      const reasons = debug.map((d) => String((d as { reason?: string }).reason ?? ''));
      t.equal(reasons.filter((r) => /dlopen|nvmlInit_v2/.test(r)).length, 1, reasons.join('; '));
      t.equal(c.nvmlStats(), undefined, 'the session is closed');
    }
  });

  t.test('a wedged driver: deadline, then refused at once, then served again when it returns', async (t) => {
    const fake = fakeNvml({ hang: 'power' });
    const nvml = openNvml(fake.path)!;
    const t0 = Date.now();
    await t.rejects(nvml.collect(200), NvmlTimeoutError);
    t.ok(Date.now() - t0 < 2000, 'the deadline holds');
    t.equal(nvml.stats().stuck, true);
    await t.rejects(nvml.collect(5000), NvmlBusyError, 'a second call is refused while the first is inside the driver');
    fake.release();
    for (let i = 0; i < 400 && nvml.stats().stuck; i++) await new Promise((r) => setTimeout(r, 10));
    t.same(nvml.stats(), { timeouts: 1, busyRejections: 1, lateReturns: 1, stuck: false });
    const snap = await nvml.collect(5000);
    t.equal(snap.devices[0]!.values.powerUsage, 312456);
    t.equal(nvml.close(), true);
  });

  t.test('a late snapshot settles its own call, even when a new call comes before it reaches JS', async (t) => {
    const fake = fakeNvml({ hang: 'power' });
    const nvml = openNvml(fake.path)!;
    await t.rejects(nvml.collect(100), NvmlTimeoutError);
    fake.release();
    // Block the JS thread (no event-loop turn) until the driver call has returned and the thread has handed the
    // snapshot over; the snapshot is then queued for JS while the next call is made.
    const sab = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < 400 && !fake.returned(); i++) Atomics.wait(sab, 0, 0, 10);
    t.ok(fake.returned());
    Atomics.wait(sab, 0, 0, 100);
    await t.rejects(nvml.collect(5000), NvmlBusyError, 'refused until the late snapshot has reached JS');
    for (let i = 0; i < 400 && nvml.stats().stuck; i++) await new Promise((r) => setTimeout(r, 10));
    t.same(nvml.stats(), { timeouts: 1, busyRejections: 1, lateReturns: 1, stuck: false });
    t.equal((await nvml.collect(5000)).devices.length, 2);
    nvml.close();
  });

  t.test('the collector with a wedged driver: NVIDIA left out, telemetry says so, DRM unaffected', async (t) => {
    const fake = fakeNvml({ hang: 'power' });
    const c = gpuCollector({ hostname: 'h', env: {} });
    const config = configFor(fake.path, { 'collectors.gpu.timeout': 100 });
    const text = await renderRun([c], config, { ...paths, sysfs: join(gpuFixtures, 'sys') });
    t.match(text, 'outrider_gpu_nvml_stuck 1\n');
    t.match(text, 'outrider_gpu_nvml_timeouts_total 1\n');
    t.match(text, 'node_drm_gpu_busy_percent{card="card0"} 37\n');
    t.match(text, 'node_scrape_collector_success{collector="gpu"} 1\n');
    t.notMatch(text, 'DCGM_FI_DEV');
    fake.release();
    for (let i = 0; i < 400 && c.nvmlStats()?.stuck; i++) await new Promise((r) => setTimeout(r, 10));
    const again = await c.collect(ctxFor(config));
    t.ok(
      again.some((f) => f.name === 'DCGM_FI_DEV_POWER_USAGE'),
      'served again',
    );
    await c.close?.();
  });

  t.test('close with a call stuck in the driver returns within its wait', async (t) => {
    const fake = fakeNvml({ hang: 'forever' });
    const nvml = openNvml(fake.path)!;
    await t.rejects(nvml.collect(100), NvmlTimeoutError);
    const t0 = Date.now();
    t.equal(nvml.close(200), false, 'the thread is left in the driver');
    t.ok(Date.now() - t0 < 1500);
    t.notOk(fake.shutDown());
  });
}
