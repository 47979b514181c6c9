#!/usr/bin/env node
// Rewrites test/fixtures/host/golden.prom from the fixture host (after a deliberate change to a host collector).
// Usage: npm run build && node scripts/update-golden.js
'use strict';
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const res = spawnSync(process.execPath, [join(root, 'node_modules/.bin/tap'), 'dist/test/collectors/host/golden.test.js'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, OUTRIDER_UPDATE_GOLDEN: '1' },
});
process.exit(res.status ?? 1);
