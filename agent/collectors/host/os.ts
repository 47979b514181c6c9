/**
 * os: os-release(5) under path.rootfs (/etc/os-release, else /usr/lib/os-release) → node_os_info{...},
 * node_os_version{id,id_like,name} (the major.minor of VERSION_ID as a number; left out when it is not one) and, as
 * node_exporter 1.8, node_os_support_end_timestamp_seconds from SUPPORT_END (YYYY-MM-DD, midnight UTC). A
 * SUPPORT_END that is not such a date is an issue and leaves that family out (node_exporter fails the collector).
 */
import { join } from './join';
import { Collector, family, NoDataError } from '../collector';
import type { FamilySamples } from '../../store/types';
import { lines, num, quote, readText } from './text';

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

/** "2028-06-30" → Unix seconds of its midnight UTC; undefined unless it is a calendar date written YYYY-MM-DD. */
export function supportEndSeconds(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const back = new Date(0);
  back.setUTCFullYear(y, mo - 1, d); // not Date.UTC, which reads years 0-99 as 1900-1999
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return back.getTime() / 1000;
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
  // The file is read every collection (an upgrade rewrites it) but parsed again only when its text changed.
  let last: { text: string; parsed: Map<string, string> } | undefined;
  return {
    name: 'os',
    defaultEnabled: true,
    async collect(ctx): Promise<FamilySamples[]> {
      const text = (await readText(join(ctx.paths.rootfs, 'etc/os-release'))) ?? (await readText(join(ctx.paths.rootfs, 'usr/lib/os-release')));
      if (text === undefined) throw new NoDataError('no /etc/os-release or /usr/lib/os-release');
      if (last?.text !== text) last = { text, parsed: parseOsRelease(text) };
      const r = last.parsed;
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
      const supportEnd = r.get('SUPPORT_END');
      if (supportEnd !== undefined && supportEnd !== '') {
        const secs = supportEndSeconds(supportEnd);
        if (secs === undefined) ctx.issues.push(`os-release SUPPORT_END ${quote(supportEnd)} is not a YYYY-MM-DD date`);
        else out.push(family('node_os_support_end_timestamp_seconds', 'Metric containing the end-of-life date timestamp of the OS.', 'gauge', [{ labels: {}, value: secs }]));
      }
      return out;
    },
  };
}
