/**
 * dmi: /sys/class/dmi/id/* → node_dmi_info{bios_date, …, system_vendor} = 1, one label per readable attribute (an
 * empty one stays as an empty label, as node_exporter writes it), as node_exporter's dmi collector. Serial numbers and
 * the UUID are readable only by root; without them the labels are left out. No /sys/class/dmi/id: NoDataError.
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { readTrim } from './sysfs-attrs';
import { listDir } from './text';

/** [attribute file, label]. */
const attrs: Array<[string, string]> = [
  ['bios_date', 'bios_date'],
  ['bios_release', 'bios_release'],
  ['bios_vendor', 'bios_vendor'],
  ['bios_version', 'bios_version'],
  ['board_asset_tag', 'board_asset_tag'],
  ['board_name', 'board_name'],
  ['board_serial', 'board_serial'],
  ['board_vendor', 'board_vendor'],
  ['board_version', 'board_version'],
  ['chassis_asset_tag', 'chassis_asset_tag'],
  ['chassis_serial', 'chassis_serial'],
  ['chassis_vendor', 'chassis_vendor'],
  ['chassis_version', 'chassis_version'],
  ['product_family', 'product_family'],
  ['product_name', 'product_name'],
  ['product_serial', 'product_serial'],
  ['product_sku', 'product_sku'],
  ['product_uuid', 'product_uuid'],
  ['product_version', 'product_version'],
  ['sys_vendor', 'system_vendor'],
];

const help = `A metric with a constant '1' value labeled by ${attrs.map(([, l]) => l).join(', ')} if provided by DMI.`;

/** Label set of the attributes that could be read (attribute file → its text). */
export function dmiFamilies(values: Map<string, string>): FamilySamples[] {
  const labels: Record<string, string> = {};
  for (const [file, label] of attrs) {
    const v = values.get(file);
    if (v !== undefined) labels[label] = v;
  }
  if (Object.keys(labels).length === 0) return [];
  return [family('node_dmi_info', help, 'gauge', [{ labels, value: 1 }])];
}

export function dmiCollector(): Collector {
  return {
    name: 'dmi',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const dir = join(ctx.paths.sysfs, 'class/dmi/id');
      if (!listDir(dir)) throw new NoDataError(`${dir} does not exist`);
      const values = new Map<string, string>();
      for (const [file] of attrs) {
        const v = readTrim(join(dir, file));
        if (v !== undefined) values.set(file, v);
      }
      return dmiFamilies(values);
    },
  };
}
