/**
 * Host install for systemd: the unit (with ExecStart pointing at the agent that runs the installer), a starting
 * config in /etc/outrider, and — when the native addon cannot send notifications itself — a drop-in setting
 * NotifyAccess=all so the systemd-notify fallback is heard. Everything lands under `root` (a DESTDIR; `/` for a
 * real install), so packaging and tests can install into a scratch directory.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { packageRoot as findPackageRoot } from '../../core/package-root';
import { hiddenBySandbox } from './sandbox';

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
  const root = findPackageRoot();
  if (root === undefined || !existsSync(join(root, 'config', 'systemd', unitName))) throw new Error('config/systemd/outrider.service is not part of this installation');
  return root;
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/(["\\$])/g, '\\$1')}"`;
}

/** The template's Documentation= names the docs as `npm install -g` lays them out; the unit names this install's. */
const templateDocs = /file:\/\/\S*\/docs\/deploy\.md/;

export function renderUnit(template: string, exec: string[], configPath: string, docsDir?: string): string {
  const line = `ExecStart=${[...exec, 'agent', `--config=${configPath}`].map(quoteArg).join(' ')}`;
  if (!/^ExecStart=.*$/m.test(template)) throw new Error('the unit template has no ExecStart= line');
  const unit = template.replace(/^ExecStart=.*$/m, line);
  return docsDir ? unit.replace(templateDocs, `file://${encodeURI(join(docsDir, 'deploy.md'))}`) : unit;
}

/**
 * Why ExecStart cannot work: a program the unit's own sandbox hides (PrivateTmp=, ProtectHome=, InaccessiblePaths=)
 * fails at start with status 203/EXEC. Each path is checked as written and, when it exists here, with its symlinks
 * resolved (`npm install -g DIR` links to DIR). Undefined when every path is visible.
 */
export function execProblem(template: string, exec: readonly string[]): string | undefined {
  for (const p of exec) {
    const seen = [posix.resolve(p)];
    try {
      if (existsSync(p)) seen.push(realpathSync(p));
    } catch {
      // an unreadable path is checked as written
    }
    for (const q of seen) {
      const hidden = hiddenBySandbox(template, q);
      if (!hidden) continue;
      const via = q === seen[0] ? '' : ` (${p} resolves to ${q})`;
      return `ExecStart would run ${p}${via}, but the unit's ${hidden.directive} hides ${hidden.prefix} from the service, so it would fail to start`;
    }
  }
  return undefined;
}

const starterConfig = `# Outrider agent configuration (YAML). Every key, with its default and help, is in @REFERENCE@
# (and \`outrider agent --help-all\`); copy here what you change. \`outrider check-config /etc/outrider/outrider.yaml\`
# validates this file; changes take effect on \`systemctl reload outrider\`.

# Local endpoint (/metrics, /healthz, /readyz). Loopback unless you open it on purpose.
listen: 127.0.0.1:9477
`;

export function planInstall(o: InstallOptions): Action[] {
  const unitDir = join(o.root, o.unitDir);
  const configDir = join(o.root, o.configDir);
  const configFile = join(o.configDir, 'outrider.yaml');
  const template = readFileSync(join(packageRoot(), 'config', 'systemd', unitName), 'utf8');
  const docsDir = join(packageRoot(), 'docs');
  const unit = renderUnit(template, o.exec, configFile, existsSync(join(docsDir, 'deploy.md')) ? docsDir : undefined);
  const actions: Action[] = [{ kind: 'write', path: join(unitDir, unitName), content: unit, mode: 0o644, note: 'systemd unit' }];
  const cfg = join(configDir, 'outrider.yaml');
  if (existsSync(cfg) && !o.force) actions.push({ kind: 'keep', path: cfg, note: 'existing config kept (--force replaces it)' });
  else {
    // Only what a host install changes: a copy of every default (config/outrider.yaml) would pin them all.
    actions.push({ kind: 'write', path: cfg, content: starterConfig.replace('@REFERENCE@', join(packageRoot(), 'config', 'outrider.yaml')), mode: 0o644, note: 'agent config' });
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
