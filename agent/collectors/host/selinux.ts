/**
 * selinux: node_selinux_enabled (1 when selinuxfs answers at <sysfs>/fs/selinux/enforce), and when enabled
 * node_selinux_current_mode (that file: 1 enforcing, 0 permissive) and node_selinux_config_mode (SELINUX= in
 * <rootfs>/etc/selinux/config: 1 enforcing, 0 permissive, -1 disabled), as node_exporter's selinux collector. A host
 * without SELinux reports enabled 0, as node_exporter does.
 */
import { join } from './join';
import { Collector, family } from '../collector';
import type { FamilySamples } from '../../store/types';
import { readTrim } from './sysfs-attrs';
import { lines } from './text';

/** The SELINUX= mode of /etc/selinux/config: 1 enforcing, 0 permissive, -1 disabled or absent. */
export function parseSelinuxConfig(text: string | undefined): number {
  let mode = -1;
  for (const l of lines(text ?? '')) {
    const m = /^\s*SELINUX\s*=\s*"?([A-Za-z]+)"?\s*$/.exec(l);
    if (!m) continue;
    const v = m[1]!.toLowerCase();
    mode = v === 'enforcing' ? 1 : v === 'permissive' ? 0 : -1;
  }
  return mode;
}

export function selinuxFamilies(enforce: string | undefined, config: string | undefined): FamilySamples[] {
  const current = enforce !== undefined && /^[01]$/.test(enforce) ? Number(enforce) : undefined;
  const enabled = family('node_selinux_enabled', 'SELinux is enabled, 1 is true, 0 is false', 'gauge', [{ labels: {}, value: current === undefined ? 0 : 1 }]);
  if (current === undefined) return [enabled];
  return [
    family('node_selinux_config_mode', 'Configured SELinux enforcement mode', 'gauge', [{ labels: {}, value: parseSelinuxConfig(config) }]),
    family('node_selinux_current_mode', 'Current SELinux enforcement mode', 'gauge', [{ labels: {}, value: current }]),
    enabled,
  ];
}

export function selinuxCollector(): Collector {
  return {
    name: 'selinux',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const enforce = readTrim(join(ctx.paths.sysfs, 'fs/selinux/enforce'));
      const config = enforce === undefined ? undefined : readTrim(join(ctx.paths.rootfs, 'etc/selinux/config'));
      return selinuxFamilies(enforce, config);
    },
  };
}
