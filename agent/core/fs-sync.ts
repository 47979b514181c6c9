import fs from 'node:fs';

/**
 * fsyncs a directory so a file created, renamed or removed in it survives a crash. Some filesystems refuse a
 * directory fsync; the files themselves are synced on their own, so that refusal is ignored.
 */
export function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* not supported on this filesystem */
  }
}

/** syncDir off the event loop (libuv's thread pool); resolves once done. Never rejects, as syncDir never throws. */
export async function syncDirAsync(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch {
    /* not supported on this filesystem */
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
