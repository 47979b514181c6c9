/**
 * uname: node_uname_info{sysname,release,version,machine,nodename,domainname} from /proc/sys/kernel/{ostype,
 * osrelease,version,hostname,domainname}. Like uname(2), hostname and domainname are those of the reading process's
 * UTS namespace (a container reports its own name unless it shares the host's UTS namespace). The machine is
 * /proc/sys/kernel/arch (recent kernels), else os.machine() — uname(2)'s machine field, the same kernel's.
 */
import { machine } from 'node:os';
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import { readText } from './text';
import { keptFiles } from '../kept-files';
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
      const dir = join(ctx.paths.procfs, 'sys/kernel');
      const read = async (f: string): Promise<string | undefined> => (await readText(join(dir, f)))?.trim();
      // The kernel's name, release, version and architecture are fixed while it runs (sethostname changes only the
      // host and domain names): read again only as kept files age out.
      const fixed = (f: string): string | undefined => keptFiles.readFixed(join(dir, f))?.trim();
      const sysname = fixed('ostype');
      const release = fixed('osrelease');
      const version = fixed('version');
      const nodename = await read('hostname');
      const domainname = await read('domainname');
      const arch = fixed('arch');
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
