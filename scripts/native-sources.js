#!/usr/bin/env node
'use strict';
// Single derivation of the native source list, read by native/CMakeLists.txt
// and by binding.gyp, so the two builds always compile the same files.
//
//   node scripts/native-sources.js [--cores|--bindings|--all|--testing] [--root=DIR] [--sep=;]
//
// --cores     the pure C++ cores: every *.cc directly in a directory listed
//             in native/sources.txt
// --bindings  every *.cc directly in native/src (addon.cc, *_binding.cc and
//             their Node-API helpers)
// --all       both (default): the production addon
// --testing   the testing addon (native/testing/*.cc plus the module entry
//             and thread helper from native/src; links the same cores):
//             ring and Unix datagram harnesses the tests and benchmarks use
// --root=DIR  print paths relative to DIR (default: the repository root,
//             which is where binding.gyp lives)
// --sep=S     separator between paths (default: a newline; CMake uses ';')
const fs = require('fs');
const path = require('path');

const repo = path.resolve(__dirname, '..');
const nativeDir = path.join(repo, 'native');

function listCc(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cc'))
    .sort()
    .map((f) => path.join(dir, f));
}

function cores() {
  const text = fs.readFileSync(path.join(nativeDir, 'sources.txt'), 'utf8');
  const dirs = text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  const out = [];
  for (const d of dirs) {
    const abs = path.join(nativeDir, d);
    if (!fs.existsSync(abs)) throw new Error(`native/sources.txt lists ${d}, which does not exist`);
    out.push(...listCc(abs));
  }
  return out;
}

function bindings() {
  return listCc(path.join(nativeDir, 'src'));
}

function testing() {
  // A packed install ships no native/testing: then there is no testing addon to build.
  const harnesses = listCc(path.join(nativeDir, 'testing'));
  if (harnesses.length === 0) return [];
  const src = path.join(nativeDir, 'src');
  return [path.join(src, 'addon.cc'), path.join(src, 'thread_job.cc'), ...harnesses];
}

function main(argv) {
  let mode = 'all';
  let root = repo;
  let sep = '\n';
  for (const a of argv) {
    if (a === '--cores' || a === '--bindings' || a === '--all' || a === '--testing') mode = a.slice(2);
    else if (a.startsWith('--root=')) root = path.resolve(a.slice(7));
    else if (a.startsWith('--sep=')) sep = a.slice(6);
    else throw new Error(`unknown argument ${a}`);
  }
  const pick = { cores, bindings, testing, all: () => [...cores(), ...bindings()] };
  const files = pick[mode]();
  process.stdout.write(files.map((f) => path.relative(root, f).split(path.sep).join('/')).join(sep));
}

if (require.main === module) main(process.argv.slice(2));
module.exports = { cores, bindings };
