/**
 * Host install for systemd: the unit (with ExecStart pointing at the agent that runs the installer), a starting
 * config in /etc/outrider, and — when the native addon cannot send notifications itself — a drop-in setting
 * NotifyAccess=all so the systemd-notify fallback is heard. Everything lands under `root` (a DESTDIR; `/` for a
 * real install), so packaging and tests can install into a scratch directory.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface InstallOptions {
  root: string;
  /** Program and arguments ExecStart runs before `agent --config=...`. */
  exec: string[];
  unitDir: string;
  configDir: string;
  /** Whether the agent can notify systemd without a helper process (native addon). */
  nativeNotify: boolean;
  /** Replace an existing config file (the unit is always rewritten). */
  force: boolean;
}

export type Action = { kind: 'write'; path: string; content: string; mode: number; note: string } | { kind: 'keep'; path: string; note: string } | { kind: 'remove'; path: string; note: string };

export const unitName = 'outrider.service';
export const dropInName = 'notify-access.conf';

/** The package root (holds config/systemd/outrider.service). */
export function packageRoot(): string {
  for (const up of ['../../../..', '../../..']) {
    const p = join(__dirname, up);
    if (existsSync(join(p, 'config', 'systemd', unitName))) return p;
  }
  throw new Error('config/systemd/outrider.service is not part of this installation');
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/(["\\$])/g, '\\$1')}"`;
}

export function renderUnit(template: string, exec: string[], configPath: string): string {
  const line = `ExecStart=${[...exec, 'agent', `--config=${configPath}`].map(quoteArg).join(' ')}`;
  if (!/^ExecStart=.*$/m.test(template)) throw new Error('the unit template has no ExecStart= line');
  return template.replace(/^ExecStart=.*$/m, line);
}

const starterConfig = `# Outrider agent configuration (YAML). Every key is listed with its default by
# \`outrider agent --help-all\`; \`outrider check-config /etc/outrider/outrider.yaml\` validates this file.
# Changes take effect on \`systemctl reload outrider\`.

# Local endpoint (/metrics, /healthz, /readyz). Loopback unless you open it on purpose.
listen: 127.0.0.1:9477
`;

export function planInstall(o: InstallOptions): Action[] {
  const unitDir = join(o.root, o.unitDir);
  const configDir = join(o.root, o.configDir);
  const configFile = join(o.configDir, 'outrider.yaml');
  const template = readFileSync(join(packageRoot(), 'config', 'systemd', unitName), 'utf8');
  const actions: Action[] = [{ kind: 'write', path: join(unitDir, unitName), content: renderUnit(template, o.exec, configFile), mode: 0o644, note: 'systemd unit' }];
  const cfg = join(configDir, 'outrider.yaml');
  if (existsSync(cfg) && !o.force) actions.push({ kind: 'keep', path: cfg, note: 'existing config kept (--force replaces it)' });
  else {
    const sample = join(packageRoot(), 'config', 'outrider.yaml');
    actions.push({ kind: 'write', path: cfg, content: existsSync(sample) ? readFileSync(sample, 'utf8') : starterConfig, mode: 0o644, note: 'agent config' });
  }
  const dropIn = join(unitDir, `${unitName}.d`, dropInName);
  if (!o.nativeNotify) {
    actions.push({
      kind: 'write',
      path: dropIn,
      content: `# Written by outrider install-systemd: the native addon is not available, so the agent notifies systemd\n# through systemd-notify, a child process.\n[Service]\nNotifyAccess=all\n`,
      mode: 0o644,
      note: 'NotifyAccess=all for the systemd-notify fallback',
    });
  } else if (existsSync(dropIn)) {
    actions.push({ kind: 'remove', path: dropIn, note: 'the native addon notifies systemd itself' });
  }
  return actions;
}

export function applyActions(actions: readonly Action[]): void {
  for (const a of actions) {
    if (a.kind === 'write') {
      mkdirSync(dirname(a.path), { recursive: true, mode: 0o755 });
      writeFileSync(a.path, a.content, { mode: a.mode });
    } else if (a.kind === 'remove') rmSync(a.path, { force: true });
  }
}
