/**
 * The agent's V8 tiering: it starts without V8's top optimizing compiler and turns it on, for good, once the
 * process is busy.
 *
 * An idle agent runs each collector once a second for a fraction of a millisecond. V8's optimizing compiler
 * (TurboFan) still compiles those functions one by one as they warm up, over the first minutes, and the pages of its
 * code in the node binary stay resident: measured beside the default (bench/README.md, Footprint, "V8 tiering held back until busy"),
 * without it the idle agent holds ~4-5 MiB less RSS and spends less CPU in its first minutes and the same after. A
 * busy agent (a StatsD flush of 100k series, big scrapes, OTLP at a high rate) wants optimized code, so a watch
 * reads the process's CPU time every `windowMs` and turns the compiler on the first time it used `busyRatio` of a
 * core over the window; it is never turned off again. CPU time, not the event loop's utilisation: on a loaded
 * machine (or under a CPU limit) an idle agent's callbacks take longer in wall time, and its utilisation rises
 * with its neighbours' load, where its CPU time does not.
 *
 * Node 22 and later (V8 12+, with Maglev, the mid-tier optimizing compiler) lose only TurboFan; Node 20 (V8 11, no
 * Maglev by default) loses every optimizing tier until then, keeping the interpreter and Sparkplug.
 *
 * V8 reads these flags when it decides whether to optimize a function, so they are set while the agent runs
 * (`v8.setFlagsFromString`): per command and per Node version, which a launch line cannot do (V8 refuses a flag it
 * does not know, and `NODE_OPTIONS` refuses these). `OUTRIDER_V8_TIERING=default` keeps V8's defaults, and so does any
 * tiering flag on the node command line (`--no-opt`, `--turbofan`, `--max-opt=N`, `--jitless`...).
 */
import { setFlagsFromString } from 'node:v8';
import { performance } from 'node:perf_hooks';

export interface TieringPlan {
  /** The flag that holds the optimizing compiler back, and the one that lets it run. */
  off: string;
  on: string;
}

/** Node flags that choose tiering themselves: with any of them, the plan stays out of the way. */
const tieringFlag = /^--(no-)?(opt|turbofan|maglev|sparkplug|jitless|lite-mode|max-opt)(=|$)/;

/** What the agent does for this V8 and these flags, or undefined to leave V8's defaults. */
export function tieringPlan(v8Version: string, execArgv: readonly string[], env: NodeJS.ProcessEnv): TieringPlan | undefined {
  const choice = env.OUTRIDER_V8_TIERING;
  if (choice === 'default') return undefined;
  if (choice !== undefined && choice !== '' && choice !== 'lean') throw new Error(`OUTRIDER_V8_TIERING: expected "lean" or "default", got ${JSON.stringify(choice)}`);
  if (execArgv.some((a) => tieringFlag.test(a.replace(/_/g, '-')))) return undefined;
  const major = Number(v8Version.split('.')[0]);
  if (!Number.isFinite(major)) return undefined;
  return major >= 12 ? { off: '--no-turbofan', on: '--turbofan' } : { off: '--no-opt', on: '--opt' };
}

let held: { plan?: TieringPlan; error?: string } | undefined;

/**
 * This process's plan, decided once and its `off` flag applied at once: the agent command calls it before it loads
 * the agent's modules, so that loading them (path resolution, module wrappers: hot for a moment) does not already
 * bring the optimizing compiler in. A bad `OUTRIDER_V8_TIERING` is returned as `error`, for the command to report.
 */
export function holdBackOptimizer(): { plan?: TieringPlan; error?: string } {
  if (held === undefined) {
    try {
      const plan = tieringPlan(process.versions.v8, process.execArgv, process.env);
      if (plan) setFlagsFromString(plan.off);
      held = { plan };
    } catch (err) {
      held = { error: (err as Error).message };
    }
  }
  return held;
}

export interface TieringWatch {
  /** Whether the optimizing compiler has been turned on (or was never held back). */
  readonly optimizing: boolean;
  stop(): void;
}

export interface TieringOptions {
  windowMs?: number;
  /** CPU time over a window, as a share of one core (0-1), at which the compiler is turned on. */
  busyRatio?: number;
  /** Told once, when the compiler is turned on, with the window's share of a core. */
  onOptimizing?: (cpuShare: number) => void;
  /** For tests: the flag setter, the process's CPU time (µs, user + system) and a monotonic clock (ms). */
  setFlags?: (flags: string) => void;
  cpuMicros?: () => number;
  nowMs?: () => number;
}

export const defaultWindowMs = 10_000;
export const defaultBusyRatio = 0.05;

/** Holds the optimizing compiler back under `plan` (undefined: nothing to do) and watches for a busy main thread. */
export function leanTiering(plan: TieringPlan | undefined, opts: TieringOptions = {}): TieringWatch {
  if (plan === undefined) return { optimizing: true, stop() {} };
  const setFlags = opts.setFlags ?? setFlagsFromString;
  const cpuMicros =
    opts.cpuMicros ??
    (() => {
      const u = process.cpuUsage();
      return u.user + u.system;
    });
  const nowMs = opts.nowMs ?? (() => performance.now());
  const busyRatio = opts.busyRatio ?? defaultBusyRatio;
  setFlags(plan.off);
  let optimizing = false;
  let lastCpu = cpuMicros();
  let lastMs = nowMs();
  const timer = setInterval(() => {
    const cpu = cpuMicros();
    const ms = nowMs();
    const share = ms > lastMs ? (cpu - lastCpu) / 1000 / (ms - lastMs) : 0;
    lastCpu = cpu;
    lastMs = ms;
    if (share < busyRatio) return;
    optimizing = true;
    clearInterval(timer);
    setFlags(plan.on);
    opts.onOptimizing?.(share);
  }, opts.windowMs ?? defaultWindowMs);
  timer.unref();
  return {
    get optimizing() {
      return optimizing;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
