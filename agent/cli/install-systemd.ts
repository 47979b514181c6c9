/** `outrider install-systemd`: installs the hardened systemd unit and a starting config for a host install. */
import { readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode } from '../core/errors';
import { nativeNotify } from '../native/sd-notify';
import { applyActions, execProblem, packageRoot, planInstall, unitName } from '../deploy/systemd/install';
import { parseArgs } from './args';

export const usage = `Usage: outrider install-systemd [--root=DIR] [--exec=PATH] [--dry-run] [--force]

Installs config/systemd/outrider.service into /etc/systemd/system (ExecStart runs this agent), a starting
/etc/outrider/outrider.yaml (kept if present unless --force), and, when the native addon is not built, a drop-in
with NotifyAccess=all so that the systemd-notify fallback is heard. Then prints the commands that start it.
Refuses an ExecStart program the unit's sandbox hides (PrivateTmp= hides /tmp and /var/tmp, ProtectHome= hides
/home, /root and /run/user): install Outrider system-wide first (npm install -g ./outrider-VERSION.tgz).

  --root=DIR     install under DIR instead of / (packaging, tests); --prefix is the same
  --exec=PATH    the outrider program ExecStart runs (default: this one, run by ${process.execPath})
  --unit-dir=D   where the unit goes (default /etc/systemd/system)
  --dry-run      print what would be written, write nothing
  --force        replace an existing /etc/outrider/outrider.yaml`;

export async function run(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const args = parseArgs(argv, { root: true, prefix: true, exec: true, 'unit-dir': true, 'dry-run': false, force: false });
  if (args.own.has('help') || args.own.has('h')) {
    out.write(usage + '\n');
    return ExitCode.ok;
  }
  const unknown = [...args.flags.keys()]
    .map((f) => `--${f}`)
    .concat(args.positionals)
    .concat(args.errors);
  if (unknown.length > 0) {
    err.write(`outrider install-systemd: unexpected ${unknown.join(' ')}\n\n${usage}\n`);
    return ExitCode.badConfig;
  }
  const last = (k: string) => args.own.get(k)?.at(-1);
  const root = resolve(last('root') ?? last('prefix') ?? '/');
  const launcher = join(packageRoot(), 'bin', 'outrider.js');
  const exec = last('exec') ? [resolve(last('exec')!)] : [process.execPath, realpathSync(launcher)];
  const problem = execProblem(readFileSync(join(packageRoot(), 'config', 'systemd', unitName), 'utf8'), exec);
  if (problem) {
    err.write(
      `outrider install-systemd: refusing: ${problem}.\n` +
        `Install Outrider where the service can see it, then run its install-systemd: from a clone, \`npm pack\` and\n` +
        `\`sudo npm install -g ./outrider-*.tgz\` (an install from a directory only links to it), or copy it under /opt;\n` +
        `or name a visible program with --exec=PATH.\n`,
    );
    return ExitCode.failure;
  }
  const dryRun = args.own.has('dry-run');
  let actions;
  try {
    actions = planInstall({ root, exec, unitDir: last('unit-dir') ?? '/etc/systemd/system', configDir: '/etc/outrider', nativeNotify: nativeNotify() !== undefined, force: args.own.has('force') });
    if (!dryRun) applyActions(actions);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    err.write(`outrider install-systemd: ${(e as Error).message}${code === 'EACCES' ? ' (run as root, or use --root=DIR)' : ''}\n`);
    return ExitCode.failure;
  }
  for (const a of actions) {
    const verb = a.kind === 'write' ? (dryRun ? 'would write' : 'wrote') : a.kind === 'remove' ? (dryRun ? 'would remove' : 'removed') : 'kept';
    out.write(`${verb} ${a.path} (${a.note})\n`);
    if (dryRun && a.kind === 'write') out.write(a.content.replace(/^/gm, '    ') + '\n');
  }
  const where = root === '/' ? '' : ` (on the host, once ${root} is its root)`;
  out.write(`\nNext${where}:\n  systemctl daemon-reload\n  systemctl enable --now outrider\n  systemctl status outrider   # the STATUS= line says what the agent is doing\n`);
  return ExitCode.ok;
}
