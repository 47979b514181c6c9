/** Fixture paths (the sources, not dist/) and golden-file comparison; UPDATE_GOLDEN=1 rewrites the goldens. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';

/** dist/test/deploy/helpers → test/deploy/fixtures */
export const fixtures = join(__dirname, '..', '..', '..', '..', 'test', 'deploy', 'fixtures');

export const updating = process.env.UPDATE_GOLDEN === '1';

/** Returns the golden text, writing `actual` first when updating (or when the golden is missing and updating). */
export function golden(path: string, actual: string): string | undefined {
  if (updating) writeFileSync(path, actual);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}
