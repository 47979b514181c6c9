/**
 * cpufreq: /sys/devices/system/cpu/cpu<N>/cpufreq/* (kHz) → node_cpu_frequency_{,max_,min_}hertz (cpuinfo_*),
 * node_cpu_scaling_frequency_{,max_,min_}hertz (scaling_*) and node_cpu_scaling_governor{cpu,governor}. Virtual
 * machines often have no cpufreq directory at all: as node_exporter, that is a successful run with no series (only a
 * host without /sys/devices/system/cpu is NoDataError).
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { fields, listDir, num, readText } from './text';

const files: Array<[string, string, string]> = [
  ['cpuinfo_cur_freq', 'node_cpu_frequency_hertz', 'Current CPU thread frequency in hertz.'],
  ['cpuinfo_max_freq', 'node_cpu_frequency_max_hertz', 'Maximum CPU thread frequency in hertz.'],
  ['cpuinfo_min_freq', 'node_cpu_frequency_min_hertz', 'Minimum CPU thread frequency in hertz.'],
  ['scaling_cur_freq', 'node_cpu_scaling_frequency_hertz', 'Current scaled CPU thread frequency in hertz.'],
  ['scaling_max_freq', 'node_cpu_scaling_frequency_max_hertz', 'Maximum scaled CPU thread frequency in hertz.'],
  ['scaling_min_freq', 'node_cpu_scaling_frequency_min_hertz', 'Minimum scaled CPU thread frequency in hertz.'],
];

/** A cpufreq attribute in kHz → Hz; undefined for "<unknown>" or garbage. */
export function parseKhz(text: string | undefined): number | undefined {
  const v = num(text?.trim());
  return v === undefined ? undefined : v * 1000;
}

export function cpufreqCollector(): Collector {
  return {
    name: 'cpufreq',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'devices/system/cpu');
      const entries = listDir(base);
      if (!entries) throw new NoDataError(`${base} does not exist`);
      const cpus = entries.filter((e) => /^cpu\d+$/.test(e));
      cpus.sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
      const fams = files.map(([, name, help]) => family(name, help, 'gauge'));
      const governor = family('node_cpu_scaling_governor', 'Current enabled CPU frequency governor.', 'gauge');
      for (const c of cpus) {
        const dir = join(base, c, 'cpufreq');
        const cpu = c.slice(3);
        for (let i = 0; i < files.length; i++) {
          const v = parseKhz(await readText(join(dir, files[i]![0])));
          if (v !== undefined) fams[i]!.samples.push({ labels: { cpu }, value: v });
        }
        const cur = (await readText(join(dir, 'scaling_governor')))?.trim();
        if (cur) {
          const avail = fields((await readText(join(dir, 'scaling_available_governors'))) ?? cur);
          for (const g of avail.includes(cur) ? avail : [...avail, cur]) governor.samples.push({ labels: { cpu, governor: g }, value: g === cur ? 1 : 0 });
        }
      }
      return [...fams, governor].filter((f) => f.samples.length > 0);
    },
  };
}
