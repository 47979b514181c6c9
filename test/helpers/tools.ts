/** Locating external tools for tests: skipped locally with a reason when absent, a failure in CI. */
import { spawnSync } from 'node:child_process';

export function haveCommand(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined && r.status !== null;
}

/** Options for t.test: skip with a reason unless running in CI, where a missing tool must fail the run. */
export function requireTool(present: boolean, what: string): { skip?: string } {
  if (present) return {};
  if (process.env.CI === 'true') throw new Error(`${what} is required in CI but missing (.ci/run installs it)`);
  return { skip: `${what} is not installed` };
}

/** A Python with the reference prometheus_client (Debian's python3-prometheus-client). */
export function pythonWithPrometheusClient(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import prometheus_client.openmetrics.parser'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}
