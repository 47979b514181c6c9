#!/usr/bin/env node
'use strict';
// Runs the native tap suite (dist/test/native/*.test.js) against one build of
// the addon, selected through OUTRIDER_NATIVE_PATH:
//   node scripts/native-test.js           native/build (cmake-js, npm install)
//   node scripts/native-test.js --asan    native/build-asan, with libasan preloaded
//   node scripts/native-test.js --gyp     build/ (node-gyp from binding.gyp)
// Extra arguments go to tap. Compile first (npm run build).
const { spawnSync, execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const repo = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const mode = args[0] === '--asan' || args[0] === '--gyp' ? args.shift().slice(2) : 'default';
const env = { ...process.env };
delete env.OUTRIDER_NATIVE;

const dir = { default: 'native/build', asan: 'native/build-asan', gyp: 'build' }[mode];
const addonPath = path.join(repo, dir, 'Release', 'outrider_native.node');
if (!fs.existsSync(addonPath)) {
  const how = { default: 'npm run build:native', asan: 'npm run build:native:asan', gyp: 'npm run build:native:gyp' }[mode];
  console.error(`native-test: ${path.relative(repo, addonPath)} is missing; run ${how}`);
  process.exit(1);
}
env.OUTRIDER_NATIVE_PATH = addonPath;
if (mode === 'asan') {
  // Node itself is not instrumented: the ASan runtime has to be loaded first.
  const cxx = env.CXX || 'g++';
  const libasan = execFileSync(cxx, ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
  if (!path.isAbsolute(libasan) || !fs.existsSync(libasan)) {
    console.error(`native-test: cannot find libasan.so through ${cxx} (got ${libasan})`);
    process.exit(1);
  }
  env.LD_PRELOAD = [libasan, env.LD_PRELOAD].filter(Boolean).join(':');
  // Node keeps allocations alive until exit by design: leak reports would be noise.
  env.ASAN_OPTIONS = ['detect_leaks=0', 'abort_on_error=1', 'halt_on_error=1', env.ASAN_OPTIONS].filter(Boolean).join(':');
  env.UBSAN_OPTIONS = ['print_stacktrace=1', 'halt_on_error=1', env.UBSAN_OPTIONS].filter(Boolean).join(':');
}
const files = fs
  .readdirSync(path.join(repo, 'dist/test/native'))
  .filter((f) => f.endsWith('.test.js'))
  .map((f) => path.join('dist/test/native', f));
// The StatsD receive path (native/src/net, native/src/statsd) runs through its own suite.
const statsdNative = path.join('dist/test/collectors/statsd', 'native-path.test.js');
if (fs.existsSync(path.join(repo, statsdNative))) files.push(statsdNative);
// The NVML session (native/src/gpu) against the fake libnvidia-ml the test builds.
for (const f of ['nvml.test.js', 'exit.test.js']) {
  const gpuNative = path.join('dist/test/collectors/gpu', f);
  if (fs.existsSync(path.join(repo, gpuNative))) files.push(gpuNative);
}
console.log(`native-test: ${files.length} files against ${path.relative(repo, addonPath)}${mode === 'asan' ? ' (ASan+UBSan, libasan preloaded)' : ''}`);
const tap = path.join(repo, 'node_modules', '.bin', 'tap');
const r = spawnSync(tap, ['--timeout', mode === 'asan' ? '300' : '120', ...args, ...files], { cwd: repo, env, stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
