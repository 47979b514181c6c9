import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readVersion(): string {
  // dist/agent/core → package root is three levels up; agent/core (ts sources under a loader) is two; the bundle
  // (dist-bundle/outrider.js) one.
  for (const up of ['../../..', '../..', '..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'outrider' && pkg.version) return pkg.version;
    } catch {
      /* try the next */
    }
  }
  return '0.0.0-unknown';
}

export const version = readVersion();
