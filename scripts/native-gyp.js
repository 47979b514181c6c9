#!/usr/bin/env node
'use strict';
// Builds the addon from binding.gyp with the node-gyp bundled with npm, into
// build/Release/outrider_native.node. Headers come from the local Node
// installation (--nodedir, default /usr when /usr/include/node exists), so
// nothing is downloaded. Load it with OUTRIDER_NATIVE_PATH=build.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const repo = path.resolve(__dirname, '..');

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const npmCli = process.env.npm_execpath;
  if (npmCli) candidates.push(path.join(path.dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally
  }
  return candidates.find((c) => fs.existsSync(c));
}

const gyp = findNodeGyp();
if (!gyp) {
  console.error('native-gyp: node-gyp not found (it ships with npm)');
  process.exit(1);
}
const nodedir = process.env.npm_config_nodedir || (fs.existsSync('/usr/include/node/node_api.h') ? '/usr' : '');
const args = [gyp, 'rebuild', `-j`, String(os.cpus().length || 2)];
if (nodedir) args.push(`--nodedir=${nodedir}`);
console.log(`+ node ${args.map((a) => path.relative(repo, a) || a).join(' ')}`);
const r = spawnSync(process.execPath, args, { cwd: repo, stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
