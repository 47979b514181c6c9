/** package.json's entry points exist, and engines names the Node majors CI runs the suite on. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';

const repo = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  main?: string;
  bin?: Record<string, string>;
  engines?: { node?: string };
  files?: string[];
  scripts?: Record<string, string>;
};

t.test('main and bin name files that exist and load', async (t) => {
  t.ok(pkg.main, 'main is set');
  t.ok(existsSync(join(repo, pkg.main!)), `main: ${pkg.main} exists`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(join(repo, pkg.main!)) as Record<string, unknown>;
  t.type(mod.runCli, 'function', 'main exports the CLI entry');
  for (const [name, file] of Object.entries(pkg.bin ?? {})) t.ok(existsSync(join(repo, file)), `bin ${name}: ${file} exists`);
});

t.test('engines names Node 20 and Node 24, the majors CI tests', async (t) => {
  const range = pkg.engines?.node ?? '';
  t.match(range, /\^20\.\d+\.\d+/, range);
  t.match(range, /\^24\.\d+\.\d+/, range);
  const ci = readFileSync(join(repo, '.ci', 'run'), 'utf8');
  t.match(ci, /npm test/, 'CI runs the suite on the default Node');
  t.match(ci, /node-linux-\$\{arch\}@\$\{ver\}/, 'and again on the node-linux package of the image');
  const image = /^ARG NODE_VERSION=(\d+)\./m.exec(readFileSync(join(repo, 'Dockerfile.sidecar'), 'utf8'));
  t.equal(image?.[1], '24', "the image's Node major is the one engines names besides 20");
});

t.test('the files an installed package needs at runtime and to build the addon are published', async (t) => {
  const files = pkg.files ?? [];
  const covered = (f: string) => files.some((p) => f === p || f.startsWith(p.endsWith('/') ? p : `${p}/`));
  const install = pkg.scripts?.install ?? '';
  const script = /node (\S+)/.exec(install)?.[1];
  t.ok(script && covered(script), `the install script ${script} is published`);
  for (const f of ['bin/outrider.js', pkg.main!, 'native/CMakeLists.txt', 'native/src/addon.cc', 'scripts/native-sources.js', 'config/systemd/outrider.service']) {
    t.ok(covered(f), `${f} is published`);
  }
  t.notOk(
    files.some((p) => /^native\/?$|^native\/build/.test(p)),
    'native/ is listed by its sources, not whole (its build outputs stay out)',
  );
});
