/** A worker-side statfs that hangs on /hang* until released (Atomics.wait on a shared buffer): a real blocked thread. */
export const hangImpl = `(p, data) => {
  if (p.startsWith('/hang')) Atomics.wait(new Int32Array(data), 0, 0);
  if (p === '/err') { const e = new Error('EACCES: permission denied'); e.code = 'EACCES'; throw e; }
  return { bsize: 4096, blocks: 100, bfree: 50, bavail: 40, files: 10, ffree: 5 };
}`;

export function release(shared: SharedArrayBuffer): void {
  const a = new Int32Array(shared);
  Atomics.store(a, 0, 1);
  Atomics.notify(a, 0);
}
