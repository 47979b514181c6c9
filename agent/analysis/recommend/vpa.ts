/**
 * One container's right-sizing state and the recommendation the Kubernetes Vertical Pod Autoscaler's recommender would
 * make from it (autoscaler `vertical-pod-autoscaler/pkg/recommender/model/container.go`,
 * `model/aggregate_container_state.go`, `logic/recommender.go`, `logic/estimator.go`). The constants are VPA's:
 *
 * - CPU: every usage sample (cores) into a decaying histogram with weight max(request, 0.1) (no request: 0.1).
 * - Memory: the peak of each 24 h aggregation window is one sample (weight 1, at the window's end); a higher usage in
 *   the same window replaces the window's peak. An OOM kill adds max(used + 100 MiB, used × 1.2) as a peak, `used`
 *   being the larger of the memory request and the window's peak.
 * - Target = p90, lower bound = p50, upper bound = p95 of each histogram, each × 1.15 (safety margin); the upper bound
 *   × (1 + 1/c), the lower × (1 + 0.001/c)^−2, with c the confidence in days = min(history span, CPU samples / 1440);
 *   then the minimums, 25 millicores and 250 MiB.
 */
import { DecayingHistogram, kCpuShape, kHalfLifeMs, kMemoryShape } from './histogram';

export const kAggregationIntervalMs = 24 * 3600 * 1000;
export const kSafetyMargin = 0.15;
export const kTargetPercentile = 0.9;
export const kLowerPercentile = 0.5;
export const kUpperPercentile = 0.95;
export const kMinSampleWeight = 0.1;
export const kOomBumpRatio = 1.2;
export const kOomMinBumpBytes = 100 * 1024 * 1024;
export const kMinCpuCores = 0.025;
export const kMinMemoryBytes = 250 * 1024 * 1024;

export interface Bounds {
  readonly target: number;
  readonly lower: number;
  readonly upper: number;
}

export interface Recommendation {
  readonly cpuCores: Bounds;
  readonly memoryBytes: Bounds;
  /** Confidence in days (see above). */
  readonly confidenceDays: number;
}

type HistogramState = ReturnType<DecayingHistogram['toJSON']>;

export interface UsageState {
  cpu: HistogramState;
  memory: HistogramState;
  firstMs: number | null;
  lastMs: number | null;
  cpuSamples: number;
  windowEndMs: number | null;
  peak: number;
}

export class ContainerUsage {
  readonly cpu = new DecayingHistogram(kCpuShape, kHalfLifeMs);
  readonly memory = new DecayingHistogram(kMemoryShape, kHalfLifeMs);
  #firstMs: number | undefined;
  #lastMs: number | undefined;
  #cpuSamples = 0;
  #windowEndMs: number | undefined;
  #peak = 0;

  /** A CPU usage sample in cores (averaged over the sampling period ending at `timeMs`). */
  addCpu(timeMs: number, cores: number, requestCores = 0): void {
    if (!this.cpu.add(cores, Math.max(requestCores, kMinSampleWeight), timeMs)) return;
    this.#cpuSamples++;
    this.#seen(timeMs);
  }

  /** A memory usage sample in bytes (working set). */
  addMemory(timeMs: number, bytes: number): void {
    if (!Number.isFinite(bytes) || bytes < 0 || !Number.isFinite(timeMs)) return;
    if (this.#windowEndMs === undefined || timeMs > this.#windowEndMs) {
      this.#windowEndMs = timeMs + kAggregationIntervalMs;
      this.#peak = 0;
    }
    if (bytes > this.#peak) {
      if (this.#peak > 0) this.memory.subtract(this.#peak, 1, this.#windowEndMs);
      this.memory.add(bytes, 1, this.#windowEndMs);
      this.#peak = bytes;
    }
    this.#seen(timeMs);
  }

  /** An out-of-memory kill at `timeMs`; `requestBytes` the container's memory request (0 when none). */
  addOom(timeMs: number, requestBytes = 0): void {
    if (this.#windowEndMs !== undefined && timeMs < this.#windowEndMs - kAggregationIntervalMs) return;
    const used = Math.max(requestBytes, this.#peak);
    this.addMemory(timeMs, Math.max(used + kOomMinBumpBytes, used * kOomBumpRatio));
  }

  get confidenceDays(): number {
    if (this.#firstMs === undefined || this.#lastMs === undefined) return 0;
    return Math.min((this.#lastMs - this.#firstMs) / kAggregationIntervalMs, this.#cpuSamples / (60 * 24));
  }

  /** VPA's recommendation from what was added; undefined before any CPU sample. */
  recommend(): Recommendation | undefined {
    if (this.#cpuSamples === 0) return undefined;
    const c = this.confidenceDays;
    return {
      cpuCores: bounds(this.cpu, c, kMinCpuCores),
      memoryBytes: bounds(this.memory, c, kMinMemoryBytes),
      confidenceDays: c,
    };
  }

  /** Serialisable state (a state file survives restarts with it). */
  toJSON(): UsageState {
    return {
      cpu: this.cpu.toJSON(),
      memory: this.memory.toJSON(),
      firstMs: this.#firstMs ?? null,
      lastMs: this.#lastMs ?? null,
      cpuSamples: this.#cpuSamples,
      windowEndMs: this.#windowEndMs ?? null,
      peak: this.#peak,
    };
  }

  /** Restores `toJSON` output; throws a TypeError on a malformed state. */
  static fromJSON(j: UsageState): ContainerUsage {
    const u = new ContainerUsage();
    if (!j || typeof j !== 'object' || !j.cpu || !j.memory || !Array.isArray(j.cpu.buckets) || !Array.isArray(j.memory.buckets)) throw new TypeError('malformed usage state');
    u.cpu.load(j.cpu);
    u.memory.load(j.memory);
    const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
    u.#firstMs = num(j.firstMs);
    u.#lastMs = num(j.lastMs);
    u.#cpuSamples = num(j.cpuSamples) ?? 0;
    u.#windowEndMs = num(j.windowEndMs);
    u.#peak = num(j.peak) ?? 0;
    return u;
  }

  #seen(timeMs: number): void {
    if (this.#firstMs === undefined || timeMs < this.#firstMs) this.#firstMs = timeMs;
    if (this.#lastMs === undefined || timeMs > this.#lastMs) this.#lastMs = timeMs;
  }
}

function bounds(h: DecayingHistogram, confidence: number, min: number): Bounds {
  const m = 1 + kSafetyMargin;
  // With no history (c = 0) VPA's multipliers go to +∞ (upper) and 0 (lower).
  const up = confidence > 0 ? 1 + 1 / confidence : Infinity;
  const low = confidence > 0 ? Math.pow(1 + 0.001 / confidence, -2) : 0;
  return {
    target: Math.max(h.percentile(kTargetPercentile) * m, min),
    lower: Math.max(h.percentile(kLowerPercentile) * m * low, min),
    upper: Math.max(h.percentile(kUpperPercentile) * m * up, min),
  };
}
