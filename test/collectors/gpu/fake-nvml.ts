/**
 * Builds test/fixtures/gpu/fake-nvml.c into a shared library (once per test process) and hands out copies of it,
 * each next to its own "<lib>.conf": a copy has its own inode, so dlopen loads a separate instance per scenario.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CollectorRunner } from '../../../agent/collectors/runner';
import { Collector } from '../../../agent/collectors/collector';
import { silentLogger } from '../../../agent/core/log';
import { render } from '../../../agent/exposition/render';
import { Store } from '../../../agent/store/store';
import { Config } from '../../../agent/config/config';

/** test/fixtures/gpu in the source tree (tests run from dist/test/...). */
export const gpuFixtures = resolve(__dirname, '../../../../test/fixtures/gpu');

let built: { dir: string; lib: string } | undefined;
let copies = 0;

function build(): { dir: string; lib: string } {
  if (built) return built;
  const dir = mkdtempSync(join(tmpdir(), 'outrider-fake-nvml-'));
  const lib = join(dir, 'libfake-nvml.so');
  execFileSync(process.env.CC || 'cc', ['-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-O1', '-o', lib, join(gpuFixtures, 'fake-nvml.c')]);
  built = { dir, lib };
  return built;
}

export interface FakeNvml {
  /** Path to load (collectors.gpu.nvml_library). */
  path: string;
  /** Lets a call blocked by hang=power / hang=init return. */
  release(): void;
  /** Whether nvmlShutdown ran. */
  shutDown(): boolean;
  /** Whether a released call has returned. */
  returned(): boolean;
}

/** A fresh copy of the fake library with `conf` (fake-nvml.c lists the keys). */
export function fakeNvml(conf: Record<string, string | number> = {}): FakeNvml {
  const { dir, lib } = build();
  const path = join(dir, `libnvidia-ml-${process.pid}-${copies++}.so`);
  copyFileSync(lib, path);
  writeFileSync(
    `${path}.conf`,
    Object.entries(conf)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  return {
    path,
    release: () => writeFileSync(`${path}.release`, ''),
    shutDown: () => existsSync(`${path}.shutdown`),
    returned: () => existsSync(`${path}.returned`),
  };
}

/** One run of `collectors` through the runner, rendered as text without the wall-clock duration family. */
export async function renderRun(collectors: Collector[], config: Config, paths: { procfs: string; sysfs: string; rootfs: string }): Promise<string> {
  const now = () => 1_700_000_000_000;
  const store = new Store({ now });
  const runner = new CollectorRunner({ store, config, paths, log: silentLogger(), collectors, now });
  await runner.collectOnce();
  const dur = store.getFamily('node_scrape_collector_duration_seconds');
  if (dur) for (const s of [...dur.series.values()]) store.remove(s);
  return render(store, 'text');
}
