#!/usr/bin/env bash
# Runs Dockerfile.sidecar's stages on this machine, without Docker, so the image recipe cannot rot unnoticed:
#   build   — its COPY, ENV and RUN lines, in a scratch copy of the build context (npm ci, exactly as written, builds
#             the native addon, then npm run build); the apt-get line is not run, the tools it installs are checked
#             for instead;
#   deps    — the production-only npm ci;
#   runtime — its COPY lines assemble the final tree; root-only RUN lines (user creation, removing npm) are
#             skipped; then the agent is started from that tree and the image's HEALTHCHECK command must pass.
# Paths inside each stage live under a scratch directory per stage. Needs node, npm, git, cmake, g++, make.
#
#   scripts/docker-build-stage.sh            # as CI runs it (the native addon must build)
#   SKIP_NATIVE=1 scripts/docker-build-stage.sh   # a tree without native/ yet: skip the addon lines (loudly)
#   KEEP=1 ...                               # keep the scratch directory for inspection
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
if [ ! -f dist/agent/deploy/dockerfile.js ]; then
  echo "docker-build-stage: compiling the TypeScript first (npx tsc)" >&2
  npx tsc -p tsconfig.json
fi
exec node - "$repo" <<'JS'
'use strict';
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const net = require('node:net');
const repo = process.argv[2];
const { parseDockerfile, copyParts, words } = require(path.join(repo, 'dist/agent/deploy/dockerfile.js'));

const skipNative = process.env.SKIP_NATIVE === '1';
const started = Date.now();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'outrider-docker-stage-'));
const log = (m) => process.stdout.write(`[docker-build-stage ${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`);
const fail = (m) => {
  process.stderr.write(`docker-build-stage: FAILED: ${m}\n(scratch directory kept: ${tmp})\n`);
  process.exit(1);
};
process.on('exit', (code) => {
  if (code === 0 && process.env.KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});
const isNative = (p) => /(^|\/)native(\/|$)|\.node$/.test(p);

// The build context: tracked and untracked-but-not-ignored files, minus .dockerignore's top-level entries.
const ignore = fs.readFileSync(path.join(repo, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const ignored = (f) => ignore.some((p) => {
  const re = new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '(/|$)');
  return re.test(f);
});
const ls = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: repo, encoding: 'utf8' });
if (ls.status !== 0) fail('git ls-files failed (run from a git checkout)');
const context = path.join(tmp, 'context');
let files = 0;
for (const f of ls.stdout.split('\0').filter(Boolean)) {
  if (ignored(f) || !fs.existsSync(path.join(repo, f))) continue;
  fs.mkdirSync(path.dirname(path.join(context, f)), { recursive: true });
  fs.copyFileSync(path.join(repo, f), path.join(context, f));
  files++;
}
log(`build context: ${files} files`);

const df = parseDockerfile(fs.readFileSync(path.join(repo, 'Dockerfile.sidecar'), 'utf8'));
const roots = new Map(); // stage name → scratch root
const inRoot = (root, p) => path.join(root, p);

function copy(src, dest) {
  const st = fs.statSync(src);
  if (st.isDirectory()) fs.cpSync(src, dest, { recursive: true });
  else {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(src, dest);
  }
}

function runStage(stage, opts) {
  const name = stage.name ?? `stage${stage.index}`;
  const root = path.join(tmp, name);
  fs.mkdirSync(root, { recursive: true });
  roots.set(name, root);
  let workdir = '/';
  const env = { ...process.env };
  log(`stage ${name} (FROM ${stage.from})`);
  for (const ins of stage.instructions) {
    const where = `Dockerfile.sidecar:${ins.line}`;
    if (ins.keyword === 'WORKDIR') {
      workdir = path.posix.resolve(workdir, ins.args.trim());
      fs.mkdirSync(inRoot(root, workdir), { recursive: true });
    } else if (ins.keyword === 'ENV') {
      for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) env[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
    } else if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      const { sources, dest } = copyParts(ins);
      const fromRoot = ins.flags.from ? roots.get(ins.flags.from) : context;
      if (!fromRoot) fail(`${where}: COPY --from=${ins.flags.from} names no earlier stage`);
      const destAbs = path.posix.resolve(workdir, dest);
      let copied = 0;
      for (const s of sources) {
        const src = ins.flags.from ? inRoot(fromRoot, s) : path.join(context, s);
        if (!fs.existsSync(src)) {
          if (skipNative && isNative(s)) { log(`  SKIPPED (SKIP_NATIVE=1): COPY ${s}`); continue; }
          fail(`${where}: COPY source ${s} does not exist${ins.flags.from ? ` in stage ${ins.flags.from}` : ' in the build context'}`);
        }
        const target = dest.endsWith('/') && !s.endsWith('/') && !fs.statSync(src).isDirectory() ? path.join(inRoot(root, destAbs), path.basename(s)) : inRoot(root, destAbs);
        copy(src, target);
        copied++;
      }
      if (copied) log(`  COPY ${ins.flags.from ? `--from=${ins.flags.from} ` : ''}${sources.join(' ')} → ${destAbs}`);
    } else if (ins.keyword === 'RUN') {
      let cmd = ins.exec ? ins.exec.join(' ') : ins.args;
      if (/^\s*apt-get\b/.test(cmd)) {
        const pkgs = [...cmd.matchAll(/apt-get install ([^&|;]*)/g)].flatMap((m) => words(m[1]).filter((w) => !w.startsWith('-')));
        const tools = { cmake: 'cmake', 'g++': 'g++', make: 'make', python3: 'python3' };
        const missing = pkgs.filter((p) => tools[p] && spawnSync('sh', ['-c', `command -v ${tools[p]}`], { stdio: 'ignore' }).status !== 0);
        if (missing.length) fail(`${where}: the build stage installs ${pkgs.join(' ')}; missing here: ${missing.join(' ')} (apt-get install -y ${missing.join(' ')})`);
        log(`  RUN apt-get … not run here; present: ${pkgs.join(' ')}`);
        continue;
      }
      if (opts.skipRun) { log(`  SKIPPED (system change in the image): RUN ${cmd.slice(0, 80)}…`); continue; }
      if (skipNative && /native\/build|outrider_native\.node/.test(cmd)) { log(`  SKIPPED (SKIP_NATIVE=1): RUN ${cmd}`); continue; }
      // Cleaning the image's npm cache must not wipe this machine's.
      if (/npm cache clean/.test(cmd)) log('  (npm cache clean is not run here)');
      cmd = cmd.replace(/\s*&&\s*npm cache clean --force/g, '');
      log(`  RUN ${cmd}`);
      const runEnv = { ...env, ...(skipNative ? { OUTRIDER_NATIVE_BUILD: '0' } : {}) };
      const r = spawnSync('/bin/sh', ['-ec', cmd], { cwd: inRoot(root, workdir), env: runEnv, stdio: 'inherit' });
      if (r.status !== 0) fail(`${where}: RUN exited with ${r.status}`);
    }
  }
  return { root, workdir, env };
}

(async () => {
  const stages = df.stages;
  let final;
  stages.forEach((s, i) => {
    final = runStage(s, { skipRun: i === stages.length - 1 });
  });
  const last = stages[stages.length - 1];
  const ep = last.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1);
  const hc = last.instructions.filter((i) => i.keyword === 'HEALTHCHECK').at(-1);
  if (!ep?.exec || !hc?.exec) fail('the final stage needs exec-form ENTRYPOINT and HEALTHCHECK CMD');
  // A package the lock marks dev-only must not ship. (@types/node is not one: protobufjs, under @grpc/grpc-js,
  // declares it as a runtime dependency, so npm keeps it under --omit=dev.)
  const lock = JSON.parse(fs.readFileSync(path.join(repo, 'package-lock.json'), 'utf8'));
  const devOnly = Object.entries(lock.packages)
    .filter(([p, v]) => p.startsWith('node_modules/') && v.dev === true)
    .map(([p]) => p);
  for (const must of ['node_modules/typescript', 'node_modules/tap']) {
    if (!devOnly.includes(must)) fail(`package-lock.json no longer marks ${must} dev-only`);
  }
  const shipped = devOnly.filter((p) => fs.existsSync(path.join(final.root, final.workdir, p)));
  if (shipped.length) fail(`the runtime tree carries ${shipped.length} dev-only packages, e.g. ${shipped.slice(0, 5).join(', ')}`);
  log(`runtime tree: none of the ${devOnly.length} dev-only packages in package-lock.json`);
  const prog = ep.exec.slice(1).map((a) => (a.startsWith('/') ? inRoot(final.root, a) : a));
  const ver = spawnSync('node', [...prog, '--version'], { encoding: 'utf8' });
  if (ver.status !== 0) fail(`the assembled image cannot run: ${ver.stderr}`);
  log(`image tree runs: ${ver.stdout.trim()}`);

  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  const env = { ...final.env, OUTRIDER_LISTEN: `127.0.0.1:${port}` };
  delete env.OUTRIDER_STATSD_LISTEN; // a fixed UDP port could clash on a shared CI machine
  const cmd = last.instructions.filter((i) => i.keyword === 'CMD').at(-1)?.exec ?? [];
  const agent = spawn('node', [...prog, ...cmd], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  agent.stderr.on('data', (c) => (stderr += c));
  const hcCmd = hc.exec;
  let ok = false;
  for (let i = 0; i < 60 && !ok && agent.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 500));
    ok = spawnSync(hcCmd[0], hcCmd.slice(1), { env, stdio: 'ignore', timeout: 10000 }).status === 0;
  }
  agent.kill('SIGTERM');
  const code = await new Promise((r) => (agent.exitCode !== null ? r(agent.exitCode) : agent.on('exit', r)));
  if (!ok) fail(`the HEALTHCHECK command never passed against the agent started from the image tree (exit ${code}):\n${stderr}`);
  log(`HEALTHCHECK passed; agent stopped on SIGTERM with exit code ${code}`);
  if (code !== 0) fail(`the agent exited with ${code} on SIGTERM:\n${stderr}`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s${skipNative ? ' (WITHOUT the native addon: SKIP_NATIVE=1)' : ''}`);
})().catch((e) => fail(e.stack || String(e)));
JS
