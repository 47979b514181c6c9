import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { copyParts, Instruction, parseDockerfile, Stage } from '../../agent/deploy/dockerfile';

const repo = join(__dirname, '..', '..', '..');
const text = readFileSync(join(repo, 'Dockerfile.sidecar'), 'utf8');
const df = parseDockerfile(text);
const final = df.stages[df.stages.length - 1]!;
const stageNames = new Set(df.stages.map((s) => s.name).filter(Boolean));
const all = (s: Stage, kw: string): Instruction[] => s.instructions.filter((i) => i.keyword === kw);
const last = (s: Stage, kw: string): Instruction | undefined => all(s, kw).at(-1);

t.test('the parser', async (t) => {
  const d = parseDockerfile('ARG V=1.2\n# c\nFROM img:${V} AS a\nRUN echo a \\\n  # inner comment\n  && echo b\nCOPY --from=a x y z/\nCMD ["a", "b"]\n');
  t.equal(d.stages[0]!.from, 'img:1.2');
  t.equal(d.stages[0]!.name, 'a');
  t.equal(d.stages[0]!.instructions[0]!.args, 'echo a    && echo b');
  t.same(copyParts(d.stages[0]!.instructions[1]!), { sources: ['x', 'y'], dest: 'z/' });
  t.equal(d.stages[0]!.instructions[1]!.flags.from, 'a');
  t.same(d.stages[0]!.instructions[2]!.exec, ['a', 'b']);
  t.throws(() => parseDockerfile('RUN x\n'));
});

t.test('multi-stage: build, runtime', async (t) => {
  t.ok(df.stages.length >= 2);
  const build = df.stages.find((s) => s.name === 'build');
  t.ok(build, 'a build stage');
  const runs = all(build!, 'RUN').map((i) => i.args);
  t.ok(
    runs.some((r) => /apt-get install .*\bcmake\b/.test(r) && /\bg\+\+/.test(r) && /\bmake\b/.test(r)),
    'installs cmake, g++, make',
  );
  t.ok(
    runs.some((r) => /\bnpm ci\b/.test(r) && !/--ignore-scripts/.test(r)),
    'npm ci runs the install script (native build)',
  );
  t.ok(
    runs.some((r) => /\bnpm run build\b/.test(r)),
    'npm run build',
  );
  const ci = build!.instructions.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
  const required = build!.instructions.findIndex((i) => i.keyword === 'ENV' && /\bOUTRIDER_NATIVE_BUILD=required\b/.test(i.args));
  t.ok(required >= 0 && required < ci, 'OUTRIDER_NATIVE_BUILD=required before npm ci: a failed addon build fails the image');
  t.notOk(
    df.stages.some((s) => all(s, 'RUN').some((i) => /\bnpm (install|i)\b/.test(i.args))),
    'npm ci only: the lock file decides',
  );
  const checked = build!.instructions.filter((i) => i.keyword === 'RUN' && /test -f dist-bundle\/outrider\.js/.test(i.args));
  t.ok(checked.length > 0, 'the build stage checks that the bundle was built (the runtime has no node_modules to fall back on)');
});

t.test('every base image is pinned by tag (or digest), never latest', async (t) => {
  for (const s of df.stages) {
    if (stageNames.has(s.from)) continue;
    t.notMatch(s.from, /\$/, `${s.from}: every ARG resolved`);
    t.match(s.from, /^[^:@]+(:[\w][\w.-]*)?(@sha256:[0-9a-f]{64})?$/, `${s.from} is an image reference`);
    t.ok(/:[\w][\w.-]*/.test(s.from.replace(/^[^/]*\/\//, '')) || /@sha256:/.test(s.from), `${s.from} has a tag or digest`);
    t.notMatch(s.from, /:latest(@|$)/, `${s.from} is not latest`);
    if (/^node:/.test(s.from)) t.match(s.from, /^node:\d+\.\d+\.\d+-/, `${s.from} pins an exact Node version`);
  }
  t.notMatch(text.replace(/^#.*$/gm, ''), /:latest\b/, 'no latest anywhere');
  t.equal(final.from.replace(/@.*/, '').endsWith('-slim'), true, 'the runtime is a slim image');
  t.match(text, /digest/i, 'digest pinning is explained');
});

t.test('the runtime stage runs as a fixed non-root user', async (t) => {
  const user = last(final, 'USER');
  t.ok(user, 'USER in the final stage');
  const [uid, gid] = user!.args.trim().split(':');
  t.match(uid, /^\d+$/, 'numeric UID (works with runAsNonRoot)');
  t.not(uid, '0');
  t.equal(uid, '65532');
  if (gid !== undefined) t.not(gid, '0');
  // Nothing after USER switches back.
  const idx = final.instructions.indexOf(user!);
  t.notOk(final.instructions.slice(idx + 1).some((i) => i.keyword === 'USER'));
});

t.test('healthcheck, stop signal, ports, volume, labels', async (t) => {
  const hc = last(final, 'HEALTHCHECK');
  t.ok(hc, 'HEALTHCHECK');
  t.notMatch(hc!.args, /^NONE/);
  t.match(hc!.args, '/healthz');
  t.notMatch(hc!.args, /\bcurl\b|\bwget\b/, 'no curl/wget in a slim image');
  t.ok(hc!.flags.interval && hc!.flags.timeout, 'interval and timeout set');
  t.equal(last(final, 'STOPSIGNAL')?.args.trim(), 'SIGTERM');
  const exposed = all(final, 'EXPOSE').flatMap((i) => i.args.trim().split(/\s+/));
  t.ok(exposed.includes('9477') || exposed.includes('9477/tcp'), 'EXPOSE 9477');
  t.ok(exposed.includes('8125/udp'), 'EXPOSE 8125/udp');
  const vol = all(final, 'VOLUME').map((i) => i.exec?.join(' ') ?? i.args);
  t.ok(
    vol.some((v) => v.includes('/var/lib/outrider')),
    'the spool is a volume',
  );
  const labels = all(final, 'LABEL')
    .map((i) => i.args)
    .join(' ');
  for (const l of ['org.opencontainers.image.version', 'org.opencontainers.image.source', 'org.opencontainers.image.licenses']) t.match(labels, `${l}=`, l);
  t.match(labels, 'Apache-2.0');
  const ep = last(final, 'ENTRYPOINT');
  t.ok(ep?.exec, 'exec-form ENTRYPOINT (signals reach node directly)');
});

t.test('only runtime files go into the final stage', async (t) => {
  t.equal(all(final, 'ADD').length, 0, 'COPY, not ADD');
  const allowedContext = new Set(['package.json', 'bin/', 'bin', 'config/', 'config']);
  for (const c of all(final, 'COPY')) {
    const { sources } = copyParts(c);
    const from = c.flags.from;
    for (const src of sources) {
      if (from === undefined) t.ok(allowedContext.has(src), `COPY ${src} from the build context is runtime material`);
      else {
        t.ok(stageNames.has(from), `COPY --from=${from} names a stage`);
        t.ok(
          /\/dist-bundle\/?$|\.node$|\/node_modules\/uplot\/(package\.json|LICENSE|dist\/uPlot\.(iife\.min\.js|min\.css))$/.test(src),
          `COPY --from=${from} ${src} is built output or a file read at run time`,
        );
      }
      t.notMatch(src, /^(\.|\*|agent\/?|test\/?|native\/?|tsconfig\.json|src\/?)$/, `${src} is not source`);
    }
  }
  const copied = all(final, 'COPY').flatMap((c) => copyParts(c).sources);
  t.ok(
    copied.some((s) => /\.node$/.test(s)),
    'the built addon is copied',
  );
  t.ok(
    copied.some((s) => /dist-bundle\/?$/.test(s)),
    'the bundle (agent and production dependencies in one file) is copied',
  );
  t.ok(
    copied.some((s) => /uPlot\.iife\.min\.js$/.test(s)),
    "uPlot's files, which the live page reads at run time, are copied",
  );
  t.notOk(
    copied.some((s) => /node_modules\/?$/.test(s)),
    'no node_modules tree is copied: the bundle holds the dependencies',
  );
  t.notOk(
    all(final, 'RUN').some((r) => /\bnpm (ci|install)\b/.test(r.args)),
    'no installs in the final stage',
  );
});

t.test('.dockerignore keeps outputs and VCS out of the context', async (t) => {
  const ignore = readFileSync(join(repo, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim());
  for (const p of ['.git', 'node_modules', 'dist']) t.ok(ignore.includes(p), p);
});

t.test('the runtime starts the agent with the launch line’s V8 flag, malloc arena cap and mmap threshold', async (t) => {
  const env = all(final, 'ENV')
    .map((i) => i.args)
    .join(' ');
  t.match(env, /\bNODE_OPTIONS=--max-semi-space-size=2\b/);
  t.match(env, /\bMALLOC_ARENA_MAX=2\b/);
  t.match(env, /\bGLIBC_TUNABLES=glibc\.malloc\.mmap_threshold=131072\b/);
});
