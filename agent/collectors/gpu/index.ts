/**
 * gpu: NVIDIA GPUs through NVML (loaded at run time by the native addon, see agent/native/gpu.ts and nvidia.ts)
 * and AMD/Intel GPUs through sysfs (drm.ts). On by default: where there is neither an NVML library nor an AMD or
 * Intel DRM card, the first run finds that out (one failed dlopen, one directory listing), logs it once at debug
 * and reports an empty snapshot: a host without a GPU is the common case of a default collector, not a failure
 * (node_scrape_collector_success stays 1). The dlopen is not retried, so later runs cost a directory listing.
 *
 * NVML calls run on the addon's own thread under collectors.gpu.timeout. A call past it leaves NVIDIA data out of
 * the run (outrider_gpu_nvml_stuck 1, logged at warn) and later runs do not call NVML until the driver answers;
 * AMD/Intel data is still reported.
 *
 * What reads and renders the cards (drm.ts, nvidia.ts, visible.ts) loads only once a card or an NVML snapshot is
 * there to render: on a host without a GPU the collector holds the detection alone (drm-detect.ts, native/gpu.ts).
 */
import { hostname as osHostname } from 'node:os';
import { NvmlBusyError, NvmlClient, NvmlSnapshot, NvmlTimeoutError, openNvml } from '../../native/gpu';
import type { FamilySamples } from '../../store/types';
import { CollectContext, Collector, family } from '../collector';
import { hasDrmCard } from './drm-detect';
import type { NvidiaRender } from './nvidia';
import { gpuOptions } from './options';

/** The downward-API variables `outrider inject` gives the sidecar (deploy/pod-labels.ts). */
const podUidEnv = 'OUTRIDER_POD_UID';
const nodeNameEnv = 'OUTRIDER_NODE_NAME';

export interface GpuOptions {
  /** Environment read for NVIDIA_VISIBLE_DEVICES, the pod UID and the node name (tests). */
  env?: NodeJS.ProcessEnv;
  /** The Hostname label (default: the node name of a pod, else os.hostname()). */
  hostname?: string;
  /** Replaces the addon's NVML session (tests). */
  openNvml?: (libraryPath: string) => NvmlClient | undefined;
}

export interface GpuCollector extends Collector {
  /** The NVML client's deadline statistics; undefined when NVML is not in use. */
  nvmlStats(): ReturnType<NvmlClient['stats']> | undefined;
}

export function gpuCollector(opts: GpuOptions = {}): GpuCollector {
  const env = opts.env ?? process.env;
  const open = opts.openNvml ?? openNvml;
  /** undefined: not tried yet; null: tried, no NVML here. */
  let client: NvmlClient | null | undefined;
  let loggedNoNvml = false;
  let loggedNoGpu = false;
  let warnedStuck = false;
  const xidState: Pick<NvidiaRender, 'lastXid' | 'xidCounts'> = { lastXid: new Map(), xidCounts: new Map() };
  /** drm.ts, loaded with the first AMD or Intel card seen (then read every run as before). */
  let drm: typeof import('./drm') | undefined;

  const noNvml = (ctx: CollectContext, why: string): void => {
    client?.close(0);
    client = null;
    if (!loggedNoNvml) ctx.log.debug({ collector: 'gpu', reason: why }, 'No NVML library; NVIDIA GPUs are not reported.');
    loggedNoNvml = true;
  };

  const nvidia = async (ctx: CollectContext, out: FamilySamples[]): Promise<boolean> => {
    const o = gpuOptions(ctx.config);
    const lib = o.nvmlLibrary;
    if (lib === '' || client === null) return false;
    if (client === undefined) {
      client = open(lib) ?? null;
      if (client === null) {
        noNvml(ctx, 'the native addon (or its gpu binding) is not loaded');
        return false;
      }
    }
    let snap: NvmlSnapshot | undefined;
    try {
      snap = await client.collect(o.timeoutMs);
      if (warnedStuck) ctx.log.info({ collector: 'gpu' }, 'NVML answers again; NVIDIA GPUs are reported again.');
      warnedStuck = false;
    } catch (err) {
      if (!(err instanceof NvmlTimeoutError || err instanceof NvmlBusyError)) throw err;
      if (!warnedStuck) ctx.log.warn({ collector: 'gpu', timeout_ms: o.timeoutMs }, 'NVML did not answer in time; NVIDIA GPUs are left out until the driver answers.');
      warnedStuck = true;
    }
    if (snap?.error !== undefined) {
      noNvml(ctx, snap.error);
      return false;
    }
    if (snap && snap.status !== 0) {
      ctx.log.debug({ collector: 'gpu', nvml_return: snap.status }, 'nvmlDeviceGetCount failed; NVIDIA GPUs are not reported in this run.');
    } else if (snap) {
      const visible = o.visibleDevices || env.NVIDIA_VISIBLE_DEVICES;
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { nvidiaFamilies } = require('./nvidia') as typeof import('./nvidia');
      const { parseVisibleDevices, processFilter } = require('./visible') as typeof import('./visible');
      /* eslint-enable @typescript-eslint/no-require-imports */
      out.push(
        ...nvidiaFamilies(snap, {
          hostname: opts.hostname ?? (env[nodeNameEnv] || osHostname()),
          selection: parseVisibleDevices(visible),
          processes: processFilter(ctx.paths.procfs, env[podUidEnv] || undefined),
          ...xidState,
        }),
      );
    }
    out.push(...nvmlTelemetry(client));
    return true;
  };

  return {
    name: 'gpu',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const out: FamilySamples[] = [];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      if (!drm && hasDrmCard(ctx.paths.sysfs)) drm = require('./drm') as typeof import('./drm');
      const cards = drm ? await drm.readDrmCards(ctx.paths.sysfs) : undefined;
      if (cards && cards.length > 0) out.push(...drm!.drmFamilies(cards));
      const hasNvml = await nvidia(ctx, out);
      if (!hasNvml && !(cards && cards.length > 0) && !loggedNoGpu) {
        ctx.log.debug({ collector: 'gpu' }, 'No NVML library and no AMD or Intel DRM card; the gpu collector exposes nothing.');
        loggedNoGpu = true;
      }
      return out;
    },
    close(): void {
      client?.close();
      client = null;
    },
    nvmlStats: () => client?.stats(),
  };
}

function nvmlTelemetry(client: NvmlClient): FamilySamples[] {
  const s = client.stats();
  return [
    family('outrider_gpu_nvml_stuck', 'Whether an NVML call is past collectors.gpu.timeout and has not returned (NVIDIA GPUs are left out meanwhile).', 'gauge', [
      { labels: {}, value: s.stuck ? 1 : 0 },
    ]),
    family('outrider_gpu_nvml_timeouts_total', 'NVML collections that passed collectors.gpu.timeout.', 'counter', [{ labels: {}, value: s.timeouts }]),
  ];
}
