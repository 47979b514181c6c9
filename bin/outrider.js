#!/usr/bin/env node
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
