#!/usr/bin/env -S node --max-semi-space-size=2
// The young generation is capped at 2 MiB: RSS at 100k StatsD series stays ~30 MiB lower (bench/README.md, StatsD).
// V8 reads the flag only at start-up, so the launch line carries it; `npm start`, the image and the unit do too.
'use strict';
// Thin launcher: the agent runs from compiled JavaScript, never through a TypeScript runtime.
const path = require('node:path');
let main;
try {
  main = require(path.join(__dirname, '..', 'dist', 'agent', 'main.js'));
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(path.join('dist', 'agent', 'main.js'))) {
    process.stderr.write('outrider: the compiled agent is missing; run `npm install` (or `npm run build`) first\n');
    process.exit(1);
  }
  throw err;
}
main.main(process.argv.slice(2));
