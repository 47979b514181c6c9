#!/usr/bin/env node
'use strict';
// Bundles the compiled agent (dist/agent/main.js and everything it requires, the production dependencies included)
// into one file, dist-bundle/outrider.js, with esbuild. The launcher (bin/outrider.js) runs it when it is there and
// not older than dist/, else dist/: one file to read and compile at start instead of ~400, no module paths to resolve
// and no package.json scopes to read (bench/README.md, "Cold start"). Run by `npm run build` and `prepare`, after tsc.
//
//   node scripts/bundle.js [--check]     --check: exit 1 when esbuild is missing instead of skipping
//
// What stays outside the bundle, read at run time:
//   the native addon (native/build/Release/outrider_native.node, found by agent/native/loader.ts from the package root)
//   uplot's files for the live and fleet pages (node_modules/uplot/package.json and dist/uPlot.{iife.min.js,min.css})
//   msgpackr-extract, msgpackr's optional native decoder: used when installed, else msgpackr's JavaScript
// The agent has no worker files (the statfs worker is an eval'd string) and reads no .proto files at run time.
// Without esbuild (a production install, `npm ci --omit=dev`) nothing is bundled and the launcher runs dist/.
const fs = require('fs');
const path = require('path');

const repo = path.resolve(__dirname, '..');
const entry = path.join(repo, 'dist', 'agent', 'main.js');
const outDir = path.join(repo, 'dist-bundle');
const outFile = path.join(outDir, 'outrider.js');

/** Packages and files the bundle requires at run time (see above). */
const external = ['*.node', 'msgpackr-extract', 'uplot/package.json'];

/**
 * Production dependencies the default agent does not load at start (the scraper's and reporter's HTTP client, the YAML
 * parser, gRPC and its .proto loader, the PromQL parser, the wire format, pretty logs, bcrypt for basic auth): each
 * goes to a file of its own, dist-bundle/vendor/NAME.js, that the bundle requires where the agent's code required the
 * package (and a vendor file where its package required another of them). Inside the main file they would be scanned
 * at every start (V8 parses a whole file) and their source held by V8 for the process's lifetime, one byte each: gRPC
 * and the PromQL parser alone were 0.5 MiB of idle RSS (bench/README.md, "Footprint").
 */
const vendor = ['undici', 'yaml', '@grpc/grpc-js', '@grpc/proto-loader', '@prometheus-io/lezer-promql', 'msgpackr', 'pino-pretty', 'bcryptjs'];
const vendorFile = (name) => `${name.replace(/^@/, '').replace(/\//g, '-')}.js`;
const vendorFilter = new RegExp(`^(${vendor.map((v) => v.replace(/[/.]/g, '\\$&')).join('|')})$`);

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external,
  // Whitespace and syntax only: names stay as written, so stack traces in logs still read.
  minifyWhitespace: true,
  minifySyntax: true,
  // The dependencies' license files are gathered into THIRD-PARTY-LICENSES.txt instead (below).
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
};

/** Resolves the vendor packages (but `self`) to their files under `dir`, outside the bundle being built. */
function vendorPlugin(dir, self) {
  return {
    name: 'vendor',
    setup(build) {
      build.onResolve({ filter: vendorFilter }, (a) => (a.path === self ? undefined : { path: `${dir}${vendorFile(a.path)}`, external: true }));
    },
  };
}

/**
 * Rewrites every character above U+00FF (esbuild keeps them in template literals, e.g. a '…' in the live page's
 * script) as \\uXXXX escapes, which read the same in string, template and regular expression literals; inside a
 * String.raw template, where an escape would stay as written, as a \${"\\uXXXX"} substitution. V8 keeps a script's
 * source for its lifetime, one byte per character only when every character fits in Latin-1: one '…' made the
 * bundle's 1.6 MiB source a two-byte string, ~3 MiB more of idle RSS.
 */
function latin1Only(file) {
  const src = fs.readFileSync(file, 'utf8');
  const escape = (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  const wide = /[\u0100-\uffff]/g;
  let out = '';
  let at = 0;
  for (const m of src.matchAll(/String\.raw`/g)) {
    if (m.index < at) continue;
    const end = src.indexOf('`', m.index + m[0].length);
    out += src.slice(at, m.index).replace(wide, escape) + src.slice(m.index, end).replace(wide, (c) => `\${"${escape(c)}"}`);
    at = end;
  }
  out += src.slice(at).replace(wide, escape);
  if (out !== src) fs.writeFileSync(file, out);
}

/** The license file of every package with code in the bundle, in one file beside it (the packages are not shipped). */
function writeLicenses(inputs) {
  const dirs = new Set();
  for (const f of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(f);
    if (m) dirs.add(m[1]);
  }
  const parts = [];
  for (const dir of [...dirs].sort()) {
    const abs = path.join(repo, dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(abs, 'package.json'), 'utf8'));
    const file = fs.readdirSync(abs).find((n) => /^(licen[cs]e|copying)(\.|$)/i.test(n));
    const text = file ? fs.readFileSync(path.join(abs, file), 'utf8').trim() : `License: ${pkg.license ?? 'not stated'} (no license file in the package)`;
    parts.push(`${pkg.name}@${pkg.version}\n${'-'.repeat(79)}\n${text}\n`);
  }
  fs.writeFileSync(path.join(outDir, 'THIRD-PARTY-LICENSES.txt'), parts.join('\n'));
}

async function main() {
  const check = process.argv.includes('--check');
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    const msg = 'outrider bundle: esbuild is not installed (a production install); the launcher runs dist/\n';
    process.stderr.write(msg);
    process.exit(check ? 1 : 0);
  }
  if (!fs.existsSync(entry)) {
    process.stderr.write(`outrider bundle: ${path.relative(repo, entry)} is missing; run tsc first (npm run build)\n`);
    process.exit(1);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  const result = await esbuild.build({
    ...common,
    entryPoints: [entry],
    outfile: outFile,
    plugins: [vendorPlugin('./vendor/')],
  });
  for (const f of [outFile]) latin1Only(f);
  const inputs = new Set(Object.keys(result.metafile.inputs));
  for (const name of vendor) {
    const side = await esbuild.build({
      ...common,
      stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: repo, sourcefile: `${name}.js` },
      outfile: path.join(outDir, 'vendor', vendorFile(name)),
      plugins: [vendorPlugin('./', name)],
    });
    for (const f of Object.keys(side.metafile.inputs)) inputs.add(f);
  }
  writeLicenses([...inputs]);
  const bytes = fs.statSync(outFile).size;
  const modules = Object.keys(result.metafile.inputs).length;
  process.stdout.write(`outrider bundle: ${path.relative(repo, outFile)} (${(bytes / 2 ** 20).toFixed(1)} MiB, ${modules} modules; ${vendor.length} more in vendor/)\n`);
}

main().catch((err) => {
  process.stderr.write(`outrider bundle: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
});
