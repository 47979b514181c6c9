/**
 * Whether sysfs shows an AMD or Intel DRM card, found the way drm.ts reads them (the card's driver link), without
 * loading drm.ts: on a host without such a card the gpu collector holds only this.
 */
import { basename, join } from 'node:path';
import { linkTarget, listDir } from '../fs-read';

/** The DRM drivers the collector reads, and their vendor label. */
export const vendorOf: Readonly<Record<string, string>> = { amdgpu: 'amd', i915: 'intel', xe: 'intel' };

/** The `cardN` entries of class/drm, in card order. */
export function cardNames(entries: readonly string[]): string[] {
  return entries.filter((e) => /^card\d+$/.test(e)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
}

export function hasDrmCard(sysfs: string): boolean {
  const dir = join(sysfs, 'class/drm');
  const entries = listDir(dir);
  if (!entries) return false;
  return cardNames(entries).some((card) => {
    const link = linkTarget(join(dir, card, 'device', 'driver'));
    return link !== undefined && vendorOf[basename(link)] !== undefined;
  });
}
