/**
 * nvme: /sys/class/nvme/<device>/{firmware_rev,model,serial,state} → node_nvme_info{device,firmware_revision,model,
 * serial,state} = 1 (text trimmed), as node_exporter's nvme collector. No /sys/class/nvme: NoDataError.
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { readTrim } from './sysfs-attrs';
import { listDir } from './text';

export interface NvmeController {
  device: string;
  firmwareRevision: string;
  model: string;
  serial: string;
  state: string;
}

export function nvmeFamilies(controllers: NvmeController[]): FamilySamples[] {
  return [
    family(
      'node_nvme_info',
      'Non-numeric data from /sys/class/nvme/<device>, value is always 1.',
      'gauge',
      controllers.map((c) => ({ labels: { device: c.device, firmware_revision: c.firmwareRevision, model: c.model, serial: c.serial, state: c.state }, value: 1 })),
    ),
  ];
}

export function nvmeCollector(): Collector {
  return {
    name: 'nvme',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const base = join(ctx.paths.sysfs, 'class/nvme');
      const entries = listDir(base);
      if (!entries) throw new NoDataError(`${base} does not exist`);
      const out: NvmeController[] = [];
      for (const device of entries.sort()) {
        const dir = join(base, device);
        const [firmwareRevision, model, serial, state] = ['firmware_rev', 'model', 'serial', 'state'].map((a) => readTrim(join(dir, a)));
        if (firmwareRevision === undefined || model === undefined || serial === undefined || state === undefined) {
          ctx.issues.push(`nvme: ${dir} lacks firmware_rev, model, serial or state`);
          continue;
        }
        out.push({ device, firmwareRevision, model, serial, state });
      }
      return nvmeFamilies(out);
    },
  };
}
