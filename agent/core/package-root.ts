/**
 * The package's root directory: the nearest directory at or above this module's holding the package.json named
 * `outrider`. Found by walking up, so it holds wherever the module runs from: `dist/agent/...`, the sources under a
 * TypeScript loader, or the single-file bundle in `dist-bundle/`. Looked up once.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Found {
  dir: string;
  version: string | undefined;
}

let found: Found | null | undefined;

function find(): Found | null {
  for (let dir = __dirname; ;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'outrider') return { dir, version: pkg.version };
    } catch {
      // keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The package root, or undefined when no package.json named outrider is above this module. */
export function packageRoot(): string | undefined {
  if (found === undefined) found = find();
  return found?.dir;
}

/** The version in the package root's package.json, or undefined where there is none. */
export function packageVersion(): string | undefined {
  if (found === undefined) found = find();
  return found?.version;
}
