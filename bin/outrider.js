#!/bin/sh
':' //; case " $* " in *" aggregator "*) exec node "$0" "$@";; *) export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" GLIBC_TUNABLES="${GLIBC_TUNABLES-glibc.malloc.mmap_threshold=131072}"; exec node --max-semi-space-size=2 "$0" "$@";; esac
// The line above is for sh (to JavaScript it is a string and a comment): it replaces itself with Node, choosing the
// young generation by command. The agent runs with it capped at 2 MiB: RSS at 100k StatsD series stays ~30 MiB
// lower (bench/README.md, StatsD). The aggregator allocates per request at a high rate and keeps V8's default: with
// 2 MiB it spends ~25 % more CPU per sample (bench/README.md, Reporting and aggregator). V8 reads the flag only at
// start-up, so the launch line carries it; `npm start`, the image and the unit set it too. The agent also gets glibc's
// malloc arenas capped at 2 (MALLOC_ARENA_MAX, unless the environment sets it): its V8, libuv and addon threads
// otherwise each take an arena of their own; 1-2 MiB less idle RSS and ~7 MiB less at 100k StatsD series, the same
// CPU (bench/README.md, "Footprint", "Malloc arenas and V8 flags"). And glibc's mmap threshold held at its initial
// 128 KiB (GLIBC_TUNABLES, unless the environment sets it): glibc otherwise raises it to the largest block freed (the
// 1.7 MiB bundle's source read at start) and keeps up to twice that free in its heap; 1-3 MiB less idle RSS at the
// same CPU ("Idle RSS: glibc's mmap threshold"). Not MALLOC_MMAP_THRESHOLD_: set empty, it means 0, while an empty
// GLIBC_TUNABLES is glibc's default. `node bin/outrider.js` skips this line (Node ignores the first line when it
// starts with #!) and runs with whatever flags and environment it was given.
'use strict';
// Thin launcher: the agent runs from compiled JavaScript, never through a TypeScript runtime.
const path = require('node:path');
// On Node 22.1+ the compiled code of every module is kept on disk (NODE_COMPILE_CACHE, else the system's temporary
// directory) and reused by the next start: the agent starts faster from its second start (bench/README.md,
// Footprint). Where the directory cannot be written the cache is off and nothing else changes.
const nodeModule = require('node:module');
if (typeof nodeModule.enableCompileCache === 'function') {
  try {
    nodeModule.enableCompileCache();
  } catch {
    // never a reason not to start
  }
}
// The bundle when it is there and not older than dist/, else dist/ (bin/entry.js).
const entry = require('./entry').agentEntry(path.join(__dirname, '..')).file;
let main;
try {
  main = require(entry);
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(entry)) {
    process.stderr.write('outrider: the compiled agent is missing; run `npm install` (or `npm run build`) first\n');
    process.exit(1);
  }
  throw err;
}
main.main(process.argv.slice(2));
