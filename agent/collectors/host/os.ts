/**
 * os: os-release(5) under path.rootfs (/etc/os-release, else /usr/lib/os-release) → node_os_info{...} and
 * node_os_version{id,id_like,name} (the major.minor of VERSION_ID as a number; left out when it is not one).
 */
import { join } from 'node:path';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { lines, num, readText } from './text';

/** KEY=value lines, values unquoted ("..." or '...', with \-escapes), comments skipped. */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines(text)) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    out.set(m[1]!, v);
  }
  return out;
}

/** "22.04.3" → 22.04, "12" → 12, "rolling" → undefined. */
export function majorMinor(versionId: string | undefined): number | undefined {
  const m = /^(\d+)(\.\d+)?/.exec(versionId ?? '');
  return m ? num(m[1]! + (m[2] ?? '')) : undefined;
}

const infoLabels: Array<[string, string]> = [
  ['build_id', 'BUILD_ID'],
  ['id', 'ID'],
  ['id_like', 'ID_LIKE'],
  ['image_id', 'IMAGE_ID'],
  ['image_version', 'IMAGE_VERSION'],
  ['name', 'NAME'],
  ['pretty_name', 'PRETTY_NAME'],
  ['variant', 'VARIANT'],
  ['variant_id', 'VARIANT_ID'],
  ['version', 'VERSION'],
  ['version_codename', 'VERSION_CODENAME'],
  ['version_id', 'VERSION_ID'],
];

export function osCollector(): Collector {
  return {
    name: 'os',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const text = (await readText(join(ctx.paths.rootfs, 'etc/os-release'))) ?? (await readText(join(ctx.paths.rootfs, 'usr/lib/os-release')));
      if (text === undefined) throw new NoDataError('no /etc/os-release or /usr/lib/os-release');
      const r = parseOsRelease(text);
      const labels = Object.fromEntries(infoLabels.map(([l, k]) => [l, r.get(k) ?? '']));
      const out = [
        family(
          'node_os_info',
          "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
          'gauge',
          [{ labels, value: 1 }],
        ),
      ];
      const version = majorMinor(r.get('VERSION_ID'));
      if (version !== undefined) {
        out.push(
          family('node_os_version', 'Metric containing the major.minor part of the OS version.', 'gauge', [
            { labels: { id: labels.id!, id_like: labels.id_like!, name: labels.name! }, value: version },
          ]),
        );
      }
      return out;
    },
  };
}
