/**
 * uname: node_uname_info{sysname,release,version,machine,nodename,domainname} from /proc/sys/kernel/{ostype,
 * osrelease,version,hostname,domainname}, so a container reading the host's procfs reports the host. The machine is
 * /proc/sys/kernel/arch (kernels 6.1+), else os.machine() — the uname(2) of the running kernel, which a container
 * shares with its host.
 */
import { machine } from 'node:os';
import { join } from 'node:path';
import { Collector, family, NoDataError } from '../collector';
import { readText } from './text';
import type { FamilySamples } from '../../store/types';

export interface UnameOptions {
  /** Fallback machine name when /proc/sys/kernel/arch is absent (tests). */
  machine?: () => string;
}

export function unameCollector(opts: UnameOptions = {}): Collector {
  const fallback = opts.machine ?? machine;
  return {
    name: 'uname',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const read = async (f: string): Promise<string | undefined> => (await readText(join(ctx.paths.procfs, 'sys/kernel', f)))?.trim();
      const [sysname, release, version, nodename, domainname, arch] = await Promise.all(
        ['ostype', 'osrelease', 'version', 'hostname', 'domainname', 'arch'].map(read),
      );
      if (sysname === undefined && release === undefined) throw new NoDataError('no /proc/sys/kernel/ostype or osrelease');
      const labels = {
        sysname: sysname ?? '',
        release: release ?? '',
        version: version ?? '',
        machine: arch ?? fallback(),
        nodename: nodename ?? '',
        domainname: domainname ?? '',
      };
      return [family('node_uname_info', 'Labeled system information as provided by the uname system call.', 'gauge', [{ labels, value: 1 }])];
    },
  };
}
