#!/usr/bin/env node
'use strict';
// Builds the Outrider native addon (native/) with cmake-js. Run by
// `npm install` and by the build:native* scripts.
//
//   node scripts/build-native.js [--sanitize=asan|tsan] [--out=DIR] [--debug]
//
// Output: DIR/Release/outrider_native.node (DIR defaults to native/build;
// the ASan build goes to native/build-asan). Node-API version 8 is pinned in
// native/package.json, so cmake-js uses the node-api-headers package and
// downloads nothing.
//
// Whether a failed build is fatal, from OUTRIDER_NATIVE_BUILD:
//   unset     as the package's install script (`npm install`, `npm ci`): a failed build prints one warning naming
//             what is missing and exits 0, so the install succeeds and the agent runs on its pure-TS twins (the
//             reason is kept in DIR/build-failure.txt, which the agent reports in /healthz); run directly or
//             through `npm run build:native*`: fatal
//   required  fatal (exit 1) wherever it runs: the image build and CI set it
//   0         the build is skipped (the agent uses the twins)
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const repo = path.resolve(__dirname, '..');
const nativeDir = path.join(repo, 'native');
const isLinux = process.platform === 'linux';

function parseArgs(argv) {
  const opts = { sanitize: '', out: '', debug: false };
  for (const a of argv) {
    if (a.startsWith('--sanitize=')) opts.sanitize = a.slice(11);
    else if (a.startsWith('--out=')) opts.out = path.resolve(a.slice(6));
    else if (a === '--debug') opts.debug = true;
    else throw new Error(`build-native: unknown argument ${a}`);
  }
  if (!['', 'asan', 'tsan'].includes(opts.sanitize)) throw new Error('build-native: --sanitize must be asan or tsan');
  if (!opts.out) opts.out = path.join(nativeDir, opts.sanitize ? `build-${opts.sanitize}` : 'build');
  return opts;
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

const mode = process.env.OUTRIDER_NATIVE_BUILD ?? '';
const required = mode === 'required' || (mode === '' && process.env.npm_lifecycle_event !== 'install');
let failureFile = '';

function fail(message) {
  if (required) {
    console.error(`\noutrider: native addon build FAILED: ${message}\n`);
    process.exit(1);
  }
  if (failureFile) {
    try {
      fs.mkdirSync(path.dirname(failureFile), { recursive: true });
      fs.writeFileSync(failureFile, `${message}\n`);
    } catch {
      // the warning below still says it
    }
  }
  console.warn(`outrider: WARNING: native addon not built: ${message}. The agent runs on its pure-TypeScript twins; set OUTRIDER_NATIVE_BUILD=required to make this an error.`);
  process.exit(0);
}

async function main() {
  if (!['', '0', 'required'].includes(mode)) {
    console.error(`outrider: OUTRIDER_NATIVE_BUILD=${mode} is not understood (use required, 0, or leave it unset)`);
    process.exit(1);
  }
  const opts = parseArgs(process.argv.slice(2));
  failureFile = path.join(opts.out, 'build-failure.txt');
  fs.rmSync(failureFile, { force: true });
  if (mode === '0') {
    console.log('outrider: OUTRIDER_NATIVE_BUILD=0, native addon not built; the agent will use its pure-TS twins');
    return;
  }
  if (!isLinux) fail(`the native addon is built on Linux only (this is ${process.platform})`);

  const missing = [];
  if (!which('cmake')) missing.push('cmake (apt-get install cmake)');
  const cxx = process.env.CXX || '';
  if (cxx ? !which(cxx.split(' ')[0]) : !(which('c++') || which('g++') || which('clang++'))) missing.push('a C++17 compiler (apt-get install g++)');
  if (!which('make') && !which('ninja')) missing.push('make (apt-get install make)');
  if (!fs.existsSync('/usr/include/zlib.h')) missing.push('zlib headers (apt-get install zlib1g-dev)');
  if (missing.length) fail(`missing ${missing.join(', ')}`);

  let cmakeJs;
  try {
    cmakeJs = require('cmake-js');
  } catch (e) {
    fail(`cmake-js is not installed (${e.message}); run npm install`);
  }
  process.env.CMAKE_BUILD_PARALLEL_LEVEL = process.env.CMAKE_BUILD_PARALLEL_LEVEL || String(os.cpus().length || 2);
  const cMakeOptions = { OUTRIDER_SANITIZE: opts.sanitize };
  const started = Date.now();
  console.log(`outrider: building native addon${opts.sanitize ? ` with ${opts.sanitize}` : ''} into ${path.relative(repo, opts.out)}`);
  const bs = new cmakeJs.BuildSystem({
    directory: nativeDir,
    out: opts.out,
    debug: opts.debug,
    cMakeOptions,
    logLevel: process.env.OUTRIDER_NATIVE_VERBOSE ? 'verbose' : 'info',
  });
  try {
    await bs.build();
  } catch (e) {
    fail(`cmake-js build failed: ${e && e.message ? e.message : e}`);
  }
  const config = opts.debug ? 'Debug' : 'Release';
  const built = path.join(opts.out, config, 'outrider_native.node');
  if (!fs.existsSync(built)) fail(`the build finished but ${built} is missing`);
  console.log(`outrider: native addon built: ${path.relative(repo, built)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
