/**
 * The recommender component: every `intervalMs` it reads the cgroup collector's series from the store (CPU usage
 * seconds as a rate, memory working set, OOM events as an increase), keyed by the cgroup's `id` label, feeds each
 * cgroup's VPA state (./vpa.ts) and writes `outrider_recommendation_cpu_cores` and
 * `outrider_recommendation_memory_bytes` {container, resource, bound="target|lower|upper"}. The state is saved to
 * `stateFile` after each interval (written to a temporary file, fsynced, renamed) and loaded at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { Component } from '../../core/component';
import { syncDir } from '../../core/fs-sync';
import type { Telemetry } from '../../core/telemetry';
import type { Store } from '../../store/store';
import type { FamilySamples } from '../../store/types';
import type { RecommendOptions } from './options';
import { ContainerUsage, type Recommendation, type UsageState } from './vpa';

export const RECOMMEND_OWNER = 'recommend';
const CPU = 'container_cpu_usage_seconds_total';
const MEMORY = 'container_memory_working_set_bytes';
const OOM = 'container_oom_events_total';

interface Followed {
  usage: ContainerUsage;
  cpu?: [number, number];
  oom?: number;
}

export interface RecommendationEntry extends Recommendation {
  readonly container: string;
}

export class Recommender implements Component {
  readonly name = 'recommend';
  readonly #opts: RecommendOptions;
  readonly #store: Store;
  readonly #log: Logger;
  readonly #followed = new Map<string, Followed>();
  readonly #samples: Counter;
  readonly #skipped: Counter;
  readonly #errors: Counter;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: RecommendOptions, deps: { store: Store; telemetry: Telemetry; log: Logger }) {
    this.#opts = opts;
    this.#store = deps.store;
    this.#log = deps.log;
    this.#samples = deps.telemetry.counter('outrider_recommend_samples_total', 'Usage samples (CPU, memory, OOM) fed to the right-sizing histograms.');
    this.#skipped = deps.telemetry.counter('outrider_recommend_skipped_containers_total', 'Cgroups not followed because recommend.max_containers was reached.');
    this.#errors = deps.telemetry.counter('outrider_recommend_state_errors_total', 'State file reads and writes that failed.');
  }

  async start(): Promise<void> {
    if (this.#timer) return;
    this.#load();
    this.#timer = setInterval(() => this.tick(), this.#opts.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#store.dropOwner(RECOMMEND_OWNER);
  }

  /** The current recommendations (GET /api/v1/recommendations answers these). */
  recommendations(): RecommendationEntry[] {
    const out: RecommendationEntry[] = [];
    for (const [container, f] of this.#followed) {
      const r = f.usage.recommend();
      if (r) out.push({ container, ...r });
    }
    return out;
  }

  /** Samples the store once, writes the recommendations and saves the state. */
  tick(nowMs = Date.now()): void {
    for (const s of this.#store.getFamily(CPU)?.series.values() ?? []) {
      const f = this.#get(s.labels.id);
      if (!f || !Number.isFinite(s.value)) continue;
      // The rate between the counter's two last writes, by the times they were written (as a scrape's rate()
      // reads the samples' timestamps): the tick's own time would add the jitter between a write and the tick.
      const at = Math.min(s.updatedMs, nowMs);
      const prev = f.cpu;
      if (prev && at <= prev[0]) continue;
      f.cpu = [at, s.value];
      if (!prev || s.value < prev[1]) continue;
      f.usage.addCpu(nowMs, (s.value - prev[1]) / ((at - prev[0]) / 1000));
      this.#samples.inc();
    }
    for (const s of this.#store.getFamily(MEMORY)?.series.values() ?? []) {
      const f = this.#get(s.labels.id);
      if (!f || !Number.isFinite(s.value)) continue;
      f.usage.addMemory(nowMs, s.value);
      this.#samples.inc();
    }
    for (const s of this.#store.getFamily(OOM)?.series.values() ?? []) {
      const f = this.#get(s.labels.id);
      if (!f || !Number.isFinite(s.value)) continue;
      const prev = f.oom;
      f.oom = s.value;
      if (prev !== undefined && s.value > prev) {
        f.usage.addOom(nowMs);
        this.#samples.inc();
      }
    }
    this.#write(nowMs);
    this.#save();
  }

  #get(id: string | undefined): Followed | undefined {
    if (id === undefined) return undefined;
    let f = this.#followed.get(id);
    if (!f) {
      if (this.#followed.size >= this.#opts.maxContainers) {
        this.#skipped.inc();
        return undefined;
      }
      f = { usage: new ContainerUsage() };
      this.#followed.set(id, f);
    }
    return f;
  }

  #write(nowMs: number): void {
    const cpu: FamilySamples = { name: 'outrider_recommendation_cpu_cores', help: 'CPU the Vertical Pod Autoscaler recommender would request for the cgroup, by bound.', type: 'gauge', samples: [] };
    const mem: FamilySamples = {
      name: 'outrider_recommendation_memory_bytes',
      help: 'Memory the Vertical Pod Autoscaler recommender would request for the cgroup, by bound.',
      type: 'gauge',
      samples: [],
    };
    for (const r of this.recommendations()) {
      for (const bound of ['target', 'lower', 'upper'] as const) {
        cpu.samples.push({ labels: { container: r.container, resource: 'cpu', bound }, value: r.cpuCores[bound] });
        mem.samples.push({ labels: { container: r.container, resource: 'memory', bound }, value: r.memoryBytes[bound] });
      }
    }
    this.#store.replaceOwned(RECOMMEND_OWNER, [cpu, mem], nowMs);
  }

  #save(): void {
    const file = this.#opts.stateFile;
    if (!file) return;
    const state: Record<string, UsageState> = {};
    for (const [id, f] of this.#followed) state[id] = f.usage.toJSON();
    const tmp = `${file}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'w', 0o600);
      try {
        fs.writeSync(fd, JSON.stringify({ version: 1, containers: state }));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
      syncDir(path.dirname(file));
    } catch (err) {
      this.#errors.inc();
      this.#log.warn({ file, err: err instanceof Error ? err.message : String(err) }, 'Could not save the right-sizing state.');
    }
  }

  #load(): void {
    const file = this.#opts.stateFile;
    if (!file || !fs.existsSync(file)) return;
    try {
      const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: number; containers?: Record<string, UsageState> };
      if (j.version !== 1 || !j.containers || typeof j.containers !== 'object') throw new TypeError('not a version 1 state file');
      for (const [id, st] of Object.entries(j.containers)) {
        if (this.#followed.size >= this.#opts.maxContainers) break;
        this.#followed.set(id, { usage: ContainerUsage.fromJSON(st) });
      }
    } catch (err) {
      this.#errors.inc();
      this.#followed.clear();
      this.#log.warn({ file, err: err instanceof Error ? err.message : String(err) }, 'Could not load the right-sizing state; starting empty.');
    }
  }
}
