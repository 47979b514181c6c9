/**
 * The alerts' `for` state across a restart: `<rules.state_dir>/alerts.json` holds, for every pending or firing alert,
 * its group, rule, labels and active-since time, and the time it was written (the agent was up then). It is written
 * after evaluations (at most once a second), to a temporary file that is fsynced and renamed over the old one, so a
 * crash leaves the old or the new file, never a torn one. On start the state is applied as Prometheus restores it
 * from ALERTS_FOR_STATE (rules/manager.go, RestoreForState): not at all after an outage longer than the tolerance,
 * not for rules whose `for` is shorter than the grace period, and otherwise shifting the active time by the outage
 * (or so the alert fires no sooner than the grace period after the restart).
 */
import fs from 'node:fs';
import path from 'node:path';
import { syncDir } from '../core/fs-sync';
import type { RuleGroup } from './group';
import { labelsKey } from './labels';

export interface SavedAlert {
  group: string;
  rule: string;
  labels: Record<string, string>;
  activeAtMs: number;
}

export interface SavedState {
  version: 1;
  savedAtMs: number;
  alerts: SavedAlert[];
}

export const stateFileName = 'alerts.json';

/** Reads the state file; undefined when absent or unreadable (a bad file is reported through `onError`). */
export function readState(dir: string, onError: (msg: string) => void): SavedState | undefined {
  const file = path.join(dir, stateFileName);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError(`cannot read ${file}: ${(err as Error).message}`);
    return undefined;
  }
  try {
    const v = JSON.parse(text) as SavedState;
    if (v.version !== 1 || typeof v.savedAtMs !== 'number' || !Array.isArray(v.alerts)) throw new Error('not an alert state file of version 1');
    return {
      version: 1,
      savedAtMs: v.savedAtMs,
      alerts: v.alerts.filter((a) => a && typeof a.group === 'string' && typeof a.rule === 'string' && typeof a.activeAtMs === 'number' && a.labels && typeof a.labels === 'object'),
    };
  } catch (err) {
    onError(`ignoring ${file}: ${(err as Error).message}`);
    return undefined;
  }
}

export function snapshot(groups: readonly RuleGroup[], nowMs: number): SavedState {
  const alerts: SavedAlert[] = [];
  for (const g of groups) {
    for (const r of g.rules) {
      if (r.kind !== 'alerting') continue;
      for (const a of r.active.values()) if (a.state !== 'inactive') alerts.push({ group: g.key, rule: r.name, labels: { ...a.labels }, activeAtMs: a.activeAtMs });
    }
  }
  return { version: 1, savedAtMs: nowMs, alerts };
}

/** Writes the state atomically (temporary file, fsync, rename, directory fsync). */
export function writeState(dir: string, state: SavedState): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, stateFileName);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(state));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  syncDir(dir);
}

/**
 * Applies saved state to a group just evaluated for the first time at `tMs`: each active alert found in the state
 * gets its active time back (shifted as Prometheus shifts it). Marks the group's alerting rules restored.
 */
export function restoreGroup(group: RuleGroup, state: SavedState | undefined, tMs: number, opts: { forGracePeriodMs: number; outageToleranceMs: number }): number {
  let restored = 0;
  const saved = new Map<string, number>();
  if (state && tMs - state.savedAtMs <= opts.outageToleranceMs) {
    for (const a of state.alerts) if (a.group === group.key) saved.set(`${a.rule}\u0000${labelsKey(a.labels)}`, a.activeAtMs);
  }
  for (const r of group.rules) {
    if (r.kind !== 'alerting') continue;
    r.restored = true;
    if (saved.size === 0 || r.spec.forMs < opts.forGracePeriodMs) continue;
    for (const a of r.active.values()) {
      const at = saved.get(`${r.name}\u0000${labelsKey(a.labels)}`);
      if (at === undefined || a.state !== 'pending') continue;
      const downAt = state!.savedAtMs;
      const remaining = r.spec.forMs - (downAt - at);
      let activeAt = at;
      if (remaining <= 0) {
        // It was firing when the agent stopped: it fires again at the next evaluation if still true.
      } else if (remaining < opts.forGracePeriodMs) activeAt = tMs + opts.forGracePeriodMs - r.spec.forMs;
      else activeAt = at + (tMs - downAt);
      a.activeAtMs = activeAt;
      restored++;
    }
  }
  return restored;
}
