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
const lazyFile = path.join(outDir, 'lazy.js');

/**
 * The agent's own modules that it requires only when a request, a config key or a command needs them (the query API,
 * the rules, the live page, the reporter, the scraper, the push listener, the OTLP decoders, the GPU readers, the
 * other commands: test/core/idle-modules.test.ts names them). They and every module only they reach go to a second
 * file, dist-bundle/lazy.js, read with the first of them: V8 scans a whole file at start and holds its source for the
 * process's lifetime, and these were half of the main file. A module of the main file they use is taken from the
 * main file (one instance, as from dist/): lazy.js is handed the main file's modules by path when it is loaded.
 * A root the main file came to require at start would still work: lazy.js would be read at start.
 */
const lazyRoots = [
  'cli/aggregator.js',
  'cli/check-config.js',
  'cli/check-rules.js',
  'cli/detect.js',
  'cli/inject.js',
  'cli/injector.js',
  'cli/install-systemd.js',
  'collectors/gpu/drm.js',
  'collectors/gpu/nvidia.js',
  'collectors/gpu/visible.js',
  'collectors/otlp/decode-json.js',
  'collectors/otlp/delta.js',
  'collectors/otlp/grpc-service.js',
  'collectors/otlp/receive-proto.js',
  'collectors/otlp/stream-cache.js',
  'collectors/otlp/translate.js',
  'collectors/push/index.js',
  'collectors/scrape/api.js',
  'collectors/scrape/file-sd.js',
  'collectors/scrape/index.js',
  'collectors/scrape/targets.js',
  'core/profiling/routes.js',
  'core/web-config-tls.js',
  'core/web-config-watch.js',
  'live/index.js',
  'query/api.js',
  'report/index.js',
  'rules/http.js',
  'rules/index.js',
].map((f) => `dist/agent/${f}`);

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

/**
 * Splits the modules the agent's entry reaches (vendor packages aside) into those of the main file and those of
 * lazy.js: lazy.js holds the lazy roots and whatever only they reach. `shared`: the main file's modules a lazy.js
 * module requires, which the main file hands over by path.
 */
async function split(esbuild) {
  const probe = await esbuild.build({ ...common, entryPoints: [entry], write: false, outfile: outFile, plugins: [vendorPlugin('./vendor/')] });
  const graph = probe.metafile.inputs;
  for (const r of lazyRoots) if (!(r in graph)) throw new Error(`lazy root ${r} is not a module of the agent (scripts/bundle.js, lazyRoots)`);
  const roots = new Set(lazyRoots);
  const reach = (from, stop) => {
    const seen = new Set();
    const todo = [...from];
    while (todo.length > 0) {
      const f = todo.pop();
      if (seen.has(f) || stop.has(f) || !(f in graph)) continue;
      seen.add(f);
      for (const i of graph[f].imports) if (!i.external) todo.push(i.path);
    }
    return seen;
  };
  const main = reach([path.relative(repo, entry)], roots);
  const lazy = reach(lazyRoots, main);
  const shared = new Set();
  for (const f of lazy) for (const i of graph[f].imports) if (!i.external && main.has(i.path)) shared.add(i.path);
  return { main, lazy, shared };
}

/** lazy.js's entry: `load(mainModules, path)` gives a lazy root's exports, `mainModules` being the main file's. */
function lazyEntry(lazySet) {
  const roots = lazyRoots.filter((r) => lazySet.has(r));
  const table = roots.map((r) => `  ${JSON.stringify(r)}: () => require(${JSON.stringify(path.join(repo, r))}),`).join('\n');
  return `const fromMain = require('outrider:main-modules');\nconst roots = {\n${table}\n};\nexports.load = (mainModules, p) => {\n  fromMain.set(mainModules);\n  return roots[p]();\n};\n`;
}

/**
 * The requires that cross between the two files. Building the main file (`side` 'main', `other` the lazy modules): a
 * lazy root becomes `require('./lazy.js').load(mainModules, path)`, and the module `outrider:main-modules` maps the
 * paths of the `shared` modules to the main file's own. Building lazy.js (`other` the main file's modules): a main
 * file's module becomes a lookup in the table lazy.js was handed.
 */
function lazyPlugin(side, other, shared) {
  const rel = (p) => path.relative(repo, p);
  return {
    name: 'lazy',
    setup(build) {
      build.onResolve({ filter: /^outrider:main-modules$/ }, () => ({ path: 'main-modules', namespace: 'outrider' }));
      build.onResolve({ filter: /^\.\/lazy\.js$/, namespace: 'outrider-other' }, () => ({ path: './lazy.js', external: true }));
      build.onResolve({ filter: /.*/ }, async (a) => {
        if (a.pluginData === 'resolving' || a.namespace.startsWith('outrider') || a.kind === 'entry-point') return undefined;
        const r = await build.resolve(a.path, { kind: a.kind, resolveDir: a.resolveDir, importer: a.importer, pluginData: 'resolving' });
        if (r.errors.length > 0 || r.external || !other.has(rel(r.path))) return undefined;
        return { path: rel(r.path), namespace: 'outrider-other' };
      });
      build.onLoad({ filter: /.*/, namespace: 'outrider-other' }, (a) => {
        const p = JSON.stringify(a.path);
        const contents = side === 'main' ? `module.exports = require('./lazy.js').load(require('outrider:main-modules'), ${p});` : `module.exports = require('outrider:main-modules').get(${p});`;
        return { contents, resolveDir: repo, loader: 'js' };
      });
      build.onLoad({ filter: /^main-modules$/, namespace: 'outrider' }, () => {
        if (side !== 'main') return { contents: 'let table;\nexports.set = (t) => void (table ??= t);\nexports.get = (p) => table[p]();\n', loader: 'js' };
        const rows = [...shared].sort().map((f) => `  ${JSON.stringify(f)}: () => require(${JSON.stringify(path.join(repo, f))}),`);
        return { contents: `module.exports = {\n${rows.join('\n')}\n};\n`, resolveDir: repo, loader: 'js' };
      });
    },
  };
}

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
  const { main: mainSet, lazy: lazySet, shared } = await split(esbuild);
  const result = await esbuild.build({
    ...common,
    stdin: { contents: `module.exports = require(${JSON.stringify(entry)});`, resolveDir: repo, sourcefile: 'outrider.js' },
    outfile: outFile,
    plugins: [vendorPlugin('./vendor/'), lazyPlugin('main', lazySet, shared)],
  });
  const lazy = await esbuild.build({
    ...common,
    stdin: { contents: lazyEntry(lazySet), resolveDir: repo, sourcefile: 'lazy.js' },
    outfile: lazyFile,
    plugins: [vendorPlugin('./vendor/'), lazyPlugin('lazy', mainSet, shared)],
  });
  const both = Object.keys(lazy.metafile.inputs).filter((f) => !f.includes(':') && f in result.metafile.inputs);
  if (both.length > 0) throw new Error(`modules in both dist-bundle/outrider.js and lazy.js (two instances at run time): ${both.join(', ')}`);
  for (const f of [outFile, lazyFile]) latin1Only(f);
  const inputs = new Set([...Object.keys(result.metafile.inputs), ...Object.keys(lazy.metafile.inputs)].filter((f) => !f.includes(':')));
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
  const mib = (f) => (fs.statSync(f).size / 2 ** 20).toFixed(1);
  process.stdout.write(
    `outrider bundle: ${path.relative(repo, outFile)} (${mib(outFile)} MiB, ${mainSet.size} modules), lazy.js (${mib(lazyFile)} MiB, ${lazySet.size} modules); ${vendor.length} more in vendor/\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`outrider bundle: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
});
