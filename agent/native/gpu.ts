/**
 * NVML through the addon's gpu binding (native/src/gpu_binding.cc): a session that dlopens libnvidia-ml.so.1 (or a
 * configured path) on a thread of its own and answers one snapshot of every device per collect().
 *
 * Deadlines: collect(timeoutMs) rejects with NvmlTimeoutError when the thread has not answered in time. The thread
 * stays inside the driver; until it comes back, collect() rejects at once with NvmlBusyError (the native side
 * refuses a second request), so a wedged driver holds one thread and never a queue. `stats()` says what happened.
 * The session's thread-safe function is unref'd; the deadline timer keeps the process alive only while a call is
 * in flight.
 */
import { nativeBinding } from './loader';

/** NVML return codes the collector names (nvml.h). */
export const nvmlReturn = {
  SUCCESS: 0,
  NOT_SUPPORTED: 3,
  NO_PERMISSION: 4,
  FUNCTION_NOT_FOUND: 13,
} as const;

export interface NvmlProcess {
  pid: number;
  usedBytes: number;
  graphics: boolean;
}

export interface NvmlDevice {
  index: number;
  /** /dev/nvidia<minor>; -1 when unknown. */
  minor: number;
  name: string;
  uuid: string;
  pciBusId: string;
  /** NVML return code of nvmlDeviceGetHandleByIndex (non-zero: nothing else was read). */
  handleStatus: number;
  /** Fields NVML answered, in NVML's units (see native/src/gpu/nvml_library.h). */
  values: Partial<Record<NvmlField, number>>;
  /** NVML return code of every field it did not answer. */
  codes: Partial<Record<NvmlField, number>>;
  processesStatus: number;
  processes: NvmlProcess[];
}

export interface NvmlSnapshot {
  /** Set when the library could not be loaded or initialised (dlopen/dlsym/nvmlInit message). */
  error?: string;
  /** nvmlDeviceGetCount's return code. */
  status: number;
  driverVersion: string;
  /** Registration of XID events: 0 when they are delivered. */
  xidStatus: number;
  /** XID events since the previous snapshot. */
  xids: { index: number; xid: number }[];
  devices: NvmlDevice[];
}

export type NvmlField =
  | 'gpuUtil'
  | 'memCopyUtil'
  | 'fbUsed'
  | 'fbFree'
  | 'fbTotal'
  | 'powerUsage'
  | 'powerLimit'
  | 'energy'
  | 'gpuTemp'
  | 'smClock'
  | 'memClock'
  | 'pcieTx'
  | 'pcieRx'
  | 'eccSbeVolatile'
  | 'eccDbeVolatile'
  | 'eccSbeAggregate'
  | 'eccDbeAggregate'
  | 'throttleReasons';

interface RawSession {
  collect(): Promise<NvmlSnapshot>;
  close(waitMs: number): boolean;
}

interface GpuBinding {
  NvmlSession?: new (libraryPath: string) => RawSession;
}

export class NvmlTimeoutError extends Error {
  readonly code = 'OUTRIDER_ERR_GPU_NVML_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`NVML did not answer within ${timeoutMs} ms`);
    this.name = 'NvmlTimeoutError';
  }
}

export class NvmlBusyError extends Error {
  readonly code = 'OUTRIDER_ERR_GPU_NVML_BUSY';
  constructor() {
    super('NVML not called: a previous call is still inside the driver');
    this.name = 'NvmlBusyError';
  }
}

export interface NvmlStats {
  timeouts: number;
  busyRejections: number;
  /** Calls that answered after their deadline. */
  lateReturns: number;
  /** A call past its deadline has not returned yet. */
  stuck: boolean;
}

export class NvmlClient {
  readonly #raw: RawSession;
  #stuck = false;
  #timeouts = 0;
  #busy = 0;
  #late = 0;
  #closed = false;

  constructor(raw: RawSession) {
    this.#raw = raw;
  }

  stats(): NvmlStats {
    return { timeouts: this.#timeouts, busyRejections: this.#busy, lateReturns: this.#late, stuck: this.#stuck };
  }

  collect(timeoutMs: number): Promise<NvmlSnapshot> {
    if (this.#closed) return Promise.reject(new Error('NVML session is closed'));
    let call: Promise<NvmlSnapshot>;
    try {
      call = this.#raw.collect();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise<NvmlSnapshot>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        this.#timeouts++;
        this.#stuck = true;
        reject(new NvmlTimeoutError(timeoutMs));
      }, timeoutMs);
      call.then(
        (snap) => {
          clearTimeout(timer);
          if (settled) {
            this.#late++;
            this.#stuck = false;
            return;
          }
          settled = true;
          resolve(snap);
        },
        (err: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          if (settled) return;
          settled = true;
          if (err.code === 'EBUSY') {
            this.#busy++;
            reject(new NvmlBusyError());
          } else {
            reject(err);
          }
        },
      );
    });
  }

  /** Shuts NVML down and unloads it; waits at most waitMs for a thread stuck in the driver (then leaves it). */
  close(waitMs = 1000): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    return this.#raw.close(waitMs);
  }
}

/** An NVML client for `libraryPath`, or undefined when the addon (or its gpu binding) is not available. */
export function openNvml(libraryPath: string): NvmlClient | undefined {
  const binding = nativeBinding() as GpuBinding | null;
  if (!binding?.NvmlSession) return undefined;
  return new NvmlClient(new binding.NvmlSession(libraryPath));
}
