/**
 * Component lifecycle and health. Every long-running part of the agent (HTTP server, collectors, StatsD listeners,
 * reporters) is a Component: start and stop are idempotent, stop is safe before start, and stop flushes.
 * Components report their state to a Health registry that /healthz and /readyz render.
 */
export type ComponentState = 'starting' | 'running' | 'degraded' | 'stopping' | 'stopped' | 'failed';

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ComponentStatus {
  name: string;
  state: ComponentState;
  /** Ready for /readyz (e.g. listeners bound and first collection done). */
  ready: boolean;
  detail?: string;
  since: string;
  /** Extra facts shown in /healthz (never secrets). */
  info?: Record<string, unknown>;
}

export class Health {
  readonly #components = new Map<string, ComponentStatus>();
  readonly startedAt = new Date();
  onChange: (() => void) | undefined;

  report(name: string, state: ComponentState, opts: { ready?: boolean; detail?: string; info?: Record<string, unknown> } = {}): void {
    const prev = this.#components.get(name);
    const ready = opts.ready ?? prev?.ready ?? false;
    const since = prev && prev.state === state ? prev.since : new Date().toISOString();
    const status: ComponentStatus = { name, state, ready, since };
    const detail = opts.detail ?? (prev && prev.state === state ? prev.detail : undefined);
    if (detail !== undefined) status.detail = detail;
    const info = opts.info ?? prev?.info;
    if (info !== undefined) status.info = info;
    this.#components.set(name, status);
    this.onChange?.();
  }

  remove(name: string): void {
    this.#components.delete(name);
  }

  get(name: string): ComponentStatus | undefined {
    return this.#components.get(name);
  }

  all(): ComponentStatus[] {
    return [...this.#components.values()];
  }

  /** Ready when every component is ready and none failed. */
  ready(): boolean {
    const all = this.all();
    return all.length > 0 && all.every((c) => c.ready && c.state !== 'failed');
  }

  /** Alive unless a component failed outright. */
  alive(): boolean {
    return this.all().every((c) => c.state !== 'failed');
  }
}
