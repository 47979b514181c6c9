/** Compares a rendered exposition with a golden file under test/fixtures/gpu (OUTRIDER_UPDATE_GOLDEN=1 rewrites it). */
import type { Test } from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gpuFixtures } from './fake-nvml';

export function checkGolden(t: Test, file: string, text: string): void {
  const path = join(gpuFixtures, file);
  if (process.env.OUTRIDER_UPDATE_GOLDEN === '1') {
    writeFileSync(path, text);
    t.comment(`rewrote ${path}`);
  }
  t.equal(text, readFileSync(path, 'utf8'), `matches ${file} (OUTRIDER_UPDATE_GOLDEN=1 rewrites it)`);
}
