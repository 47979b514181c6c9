/**
 * Loads the native addon once, at first import, and never throws.
 *
 * Lookup order:
 *  1. `OUTRIDER_NATIVE=0`: the addon is not loaded, the pure-TS twins are used.
 *  2. `OUTRIDER_NATIVE_PATH`: a `.node` file, or a directory holding
 *     `Release/outrider_native.node` or `outrider_native.node` (the ASan and
 *     node-gyp builds are loaded this way). When set, nothing else is tried.
 *  3. `native/build/Release/outrider_native.node` (cmake-js, `npm install`),
 *     then `build/Release/outrider_native.node` (node-gyp).
 *
 * The outcome is fixed for the life of the process: callers choose between
 * the native implementation and its twin once, at load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../core/package-root';
import type { NativeBinding } from './binding';

/** Whether the addon is loaded, why (not), and from where. */
export interface NativeStatus {
  available: boolean;
  /** Human-readable reason, suitable for /healthz. */
  reason: string;
  /** Absolute path of the loaded (or attempted) module. */
  path?: string;
  /** `asan` / `tsan` for sanitizer builds, empty otherwise. */
  sanitizer?: string;
}

/** Bindings the TS layer relies on; a module lacking one is refused. */
const REQUIRED = ['codec', 'pool', 'io', 'notify', 'statsd'] as const;
const MODULE_FILE = 'outrider_native.node';

function candidatesFromEnv(value: string): string[] {
  const p = path.resolve(value);
  let isFile = false;
  try {
    isFile = fs.statSync(p).isFile();
  } catch {
    isFile = false;
  }
  if (isFile || p.endsWith('.node')) return [p];
  return [path.join(p, 'Release', MODULE_FILE), path.join(p, MODULE_FILE)];
}

function load(): { binding: NativeBinding | null; status: NativeStatus } {
  if (process.env.OUTRIDER_NATIVE === '0') {
    return { binding: null, status: { available: false, reason: 'disabled by OUTRIDER_NATIVE=0; using the TS twins' } };
  }
  if (process.platform !== 'linux') {
    return {
      binding: null,
      status: { available: false, reason: `native addon is Linux-only (platform ${process.platform}); using the TS twins` },
    };
  }
  const root = packageRoot() ?? path.resolve(__dirname, '../../..');
  const fromEnv = process.env.OUTRIDER_NATIVE_PATH;
  const candidates = fromEnv
    ? candidatesFromEnv(fromEnv)
    : [path.join(root, 'native', 'build', 'Release', MODULE_FILE), path.join(root, 'build', 'Release', MODULE_FILE)];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    const where = fromEnv ? `OUTRIDER_NATIVE_PATH=${fromEnv}` : 'native/build or build';
    // scripts/build-native.js leaves the reason a build at install time failed (e.g. "missing cmake ...").
    let why = '';
    try {
      why = fromEnv ? '' : fs.readFileSync(path.join(root, 'native', 'build', 'build-failure.txt'), 'utf8').trim().slice(0, 500);
    } catch {
      why = '';
    }
    return {
      binding: null,
      status: { available: false, reason: `native addon not built (${why ? `install-time build: ${why}` : `no ${MODULE_FILE} in ${where}`}); using the TS twins` },
    };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(found) as NativeBinding;
    const have = new Set(Array.isArray(mod.bindings) ? mod.bindings : []);
    const lacking = REQUIRED.filter((b) => !have.has(b));
    if (lacking.length) {
      return {
        binding: null,
        status: { available: false, reason: `native addon at ${found} lacks ${lacking.join(', ')}; using the TS twins`, path: found },
      };
    }
    return {
      binding: mod,
      status: {
        available: true,
        reason: `loaded ${mod.sanitizer ? `${mod.sanitizer} build ` : ''}from ${found}`,
        path: found,
        sanitizer: mod.sanitizer || '',
      },
    };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { binding: null, status: { available: false, reason: `native addon failed to load: ${msg}; using the TS twins`, path: found } };
  }
}

const loaded = load();

/** Why the native addon is (not) in use. Never throws. */
export function nativeStatus(): NativeStatus {
  return { ...loaded.status };
}

/** The loaded addon, or null when the twins are in use. */
export function nativeBinding(): NativeBinding | null {
  return loaded.binding;
}
