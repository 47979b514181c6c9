/**
 * Reads of procfs, sysfs and cgroupfs files on descriptors kept open between collections.
 *
 * These files are made by the kernel on every read from offset 0, so a descriptor opened once answers every later
 * collection with fresh content through pread(fd, 0): the path walk, open and close that dominate a small read are
 * paid once per `maxAgeMs` instead of once per read (61 host files: 3.2 ms with readFileSync, 0.44 ms on kept
 * descriptors; bench/README.md, Footprint), and a procfs file's once for as long as it is read (its path cannot
 * come to name another object; at a 5 s collection, opening every file again each 10 s was half the rounds). A file
 * that does not exist is remembered too, and checked again with a stat that returns instead of throwing, so a
 * collector probing for an absent source each second builds no Error;
 * one missing under procfs, sysfs or cgroupfs (a module not loaded, a device not present) is not looked at again
 * until its entry ages out (`maxAgeMs`): a source that appears there is found within that time.
 *
 * Only files on the kernel's own filesystems are kept (checked by statfs when opened): a regular file (a test's
 * fixture tree, a textfile) is read whole each time, so a file replaced or removed is seen at once. A kept
 * descriptor whose object went away (a removed device, cgroup or network namespace entry) fails its read with
 * ENODEV/ENOENT/ESRCH, and the path is opened again; a sysfs or cgroupfs path bound to another object by a rename
 * (an interface renamed) is opened again within `maxAgeMs`. Other read errors (EINVAL from an attribute the device does not
 * report) are thrown with the descriptor kept, from the first read on. At most `maxEntries` paths are remembered, each holding at most one
 * descriptor; past that, reads go through open and close. Directories that do not exist are remembered the same way
 * (`list`).
 */
import { closeSync, openSync, readdirSync, readSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** f_type of procfs, sysfs, cgroup2 and cgroup v1 (linux/magic.h). */
const PROC_SUPER_MAGIC = 0x9fa0;
const kernelFsTypes = new Set([PROC_SUPER_MAGIC, 0x62656572, 0x63677270, 0x27e0eb]);
/**
 * Errors that say the kept descriptor's object is gone: open the path again. EIO too: a procfs entry removed while
 * open (a module unloaded: /proc/net/ip_vs) fails its reads with EIO, and the path opened again is then missing.
 */
const goneCodes = new Set(['ENODEV', 'ENOENT', 'ESRCH', 'EBADF', 'ENXIO', 'ESTALE', 'EIO']);
/** Read errors of an attribute the object does not report: the descriptor stays good for the next read. */
const refusedCodes = new Set(['EINVAL', 'EOPNOTSUPP', 'ENOTSUP', 'ENODATA']);

interface Entry {
  /** The kept descriptor; undefined when the path did not exist at `sinceMs`. */
  fd: number | undefined;
  sinceMs: number;
  /** A missing path under a kernel filesystem: not looked at again until the entry ages out. */
  kernelMissing?: boolean;
  /** The text of a kept file read through `readFixed`, and when it was read: answered again until `maxAgeMs` passed. */
  fixedText?: string;
  fixedAtMs?: number;
  /**
   * The kept descriptor's filesystem (f_type). A procfs one is pinned: its path cannot come to name another object (no
   * renames under /proc; a process that died fails the read with ESRCH), so it is kept while it is read, not opened
   * again every `maxAgeMs`.
   */
  fsType?: number;
  /** The last read through the descriptor (a pinned one is closed once unread for `maxAgeMs`). */
  usedMs?: number;
}

const pinned = (e: Entry): boolean => e.fsType === PROC_SUPER_MAGIC;

export interface KeptFilesOptions {
  /** Paths remembered (kept descriptors and known-missing paths together). Default 256. */
  maxEntries?: number;
  /** A kept descriptor older than this is closed and the path opened again. Default 10 s. */
  maxAgeMs?: number;
  /**
   * A kernel directory listed again within this time is answered from its last listing (two collectors of one round
   * listing /sys/devices/system/cpu make one readdir). Default 200 ms, well under a collection interval.
   */
  listReuseMs?: number;
  now?: () => number;
}

export interface KeptFilesStats {
  kept: number;
  missing: number;
  opens: number;
  reads: number;
}

export class KeptFiles {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;
  readonly #listReuseMs: number;
  readonly #now: () => number;
  /** Listed directories: whether each is on a kernel filesystem, and a kernel one's last listing. */
  readonly #dirs = new Map<string, { kernelFs: boolean; atMs: number; names: string[] | undefined }>();
  #buf = Buffer.allocUnsafe(16 * 1024);
  #opens = 0;
  #reads = 0;
  #sweptMs = 0;

  constructor(opts: KeptFilesOptions = {}) {
    this.#maxEntries = opts.maxEntries ?? 256;
    this.#maxAgeMs = opts.maxAgeMs ?? 10_000;
    this.#listReuseMs = opts.listReuseMs ?? 200;
    this.#now = opts.now ?? Date.now;
  }

  /** The file's content as UTF-8; undefined when it does not exist (ENOENT, ENOTDIR). Other errors throw. */
  read(path: string): string | undefined {
    this.#reads++;
    const now = this.#now();
    if (now - this.#sweptMs >= this.#maxAgeMs) this.#sweep(now);
    const e = this.#entries.get(path);
    if (e !== undefined && this.#stillMissing(path, e, now)) return undefined;
    if (e !== undefined && (pinned(e) || now - e.sinceMs < this.#maxAgeMs)) {
      if (e.fd === undefined) {
        if (!exists(path)) return undefined;
      } else {
        e.usedMs = now;
        try {
          return this.#readFd(e.fd);
        } catch (err) {
          if (!goneCodes.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
        }
      }
    }
    if (e !== undefined) this.#forget(path, e);
    // A path whose descriptor aged out was on a kernel filesystem then: it is not asked again.
    return this.#open(path, now, e?.fsType);
  }

  /**
   * `read` for a file whose content the kernel fixes for its whole life (its release and version, the boot's isolated
   * CPUs, a read-only sysctl): on a kernel filesystem the text read through the kept descriptor is answered again,
   * with no read, until the entry ages out (`maxAgeMs`), then read afresh; elsewhere (a fixture tree, a regular file)
   * it is read every time, as `read` does.
   */
  readFixed(path: string): string | undefined {
    const e = this.#entries.get(path);
    const now = this.#now();
    if (e !== undefined && e.fixedText !== undefined && e.fd !== undefined && now - e.fixedAtMs! < this.#maxAgeMs) {
      this.#reads++;
      e.usedMs = now;
      return e.fixedText;
    }
    const text = this.read(path);
    const kept = this.#entries.get(path);
    if (text !== undefined && kept?.fd !== undefined) {
      kept.fixedText = text;
      kept.fixedAtMs = now;
    }
    return text;
  }

  /**
   * A directory's entries (readdirSync, a new array each call); undefined when it does not exist. A directory on a
   * kernel filesystem listed again within `listReuseMs` gets its last listing; otherwise (and always for other
   * filesystems) it is listed again. Other errors throw.
   */
  list(path: string): string[] | undefined {
    const now = this.#now();
    const e = this.#entries.get(path);
    if (e !== undefined && this.#stillMissing(path, e, now)) return undefined;
    if (e !== undefined && e.fd === undefined && now - e.sinceMs < this.#maxAgeMs && !exists(path)) return undefined;
    if (e !== undefined) this.#forget(path, e);
    const d = this.#dirs.get(path);
    if (d?.names !== undefined && now - d.atMs < this.#listReuseMs && now >= d.atMs) return d.names.slice();
    try {
      const names = readdirSync(path);
      const kernelFs = d?.kernelFs ?? onKernelFs(path);
      if (d === undefined && this.#dirs.size >= this.#maxEntries) this.#dirs.clear();
      this.#dirs.set(path, { kernelFs, atMs: now, names: kernelFs ? names.slice() : undefined });
      return names;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      this.#missing(path, now);
      return undefined;
    }
  }

  /** Closes every kept descriptor (they are opened again on demand). */
  clear(): void {
    for (const [path, e] of this.#entries) this.#forget(path, e);
    this.#dirs.clear();
  }

  stats(): KeptFilesStats {
    let kept = 0;
    for (const e of this.#entries.values()) if (e.fd !== undefined) kept++;
    return { kept, missing: this.#entries.size - kept, opens: this.#opens, reads: this.#reads };
  }

  /** `knownFs`: the f_type of a path kept before, else undefined (statfs'd when a descriptor would be kept). */
  #open(path: string, now: number, knownFs: number | undefined): string | undefined {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      this.#missing(path, now);
      return undefined;
    }
    this.#opens++;
    let keep = false;
    let type = knownFs;
    const kernel = (): boolean => kernelFsTypes.has((type ??= fsType(path)));
    try {
      const text = this.#readFd(fd);
      keep = this.#entries.size < this.#maxEntries && kernel();
      return text;
    } catch (err) {
      // An attribute the device does not report (EINVAL from `speed` of a virtual interface) answers the same on
      // the next read: the descriptor is kept, so each read is one pread instead of an open, a pread and a close.
      keep = refusedCodes.has((err as NodeJS.ErrnoException).code ?? '') && this.#entries.size < this.#maxEntries && kernel();
      throw err;
    } finally {
      if (keep) this.#entries.set(path, { fd, sinceMs: now, fsType: type, usedMs: now });
      else closeSync(fd);
    }
  }

  /**
   * A path missing under a kernel filesystem: true within its age without a look, and past it after one stat that
   * still finds nothing (the entry starts a new age; the open that would fail and the statfs walk are not repeated).
   */
  #stillMissing(path: string, e: Entry, now: number): boolean {
    if (e.kernelMissing !== true) return false;
    if (now - e.sinceMs < this.#maxAgeMs) return true;
    if (exists(path)) return false;
    e.sinceMs = now;
    return true;
  }

  /** Remembers a missing path, and whether it lies under a kernel filesystem (its nearest existing directory's). */
  #missing(path: string, now: number): void {
    if (this.#entries.size < this.#maxEntries) this.#entries.set(path, { fd: undefined, sinceMs: now, kernelMissing: underKernelFs(path) });
  }

  /** Reads from offset 0 to the end: the kernel makes the content again for a read at 0. */
  #readFd(fd: number): string {
    let total = 0;
    for (;;) {
      if (total === this.#buf.length) {
        const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
        this.#buf.copy(bigger, 0, 0, total);
        this.#buf = bigger;
      }
      const n = readSync(fd, this.#buf, total, this.#buf.length - total, total);
      if (n === 0) break;
      total += n;
    }
    const text = this.#buf.toString('utf8', 0, total);
    // One large file (a mountinfo with thousands of mounts) must not keep a large buffer for good.
    if (this.#buf.length > 1024 * 1024) this.#buf = Buffer.allocUnsafe(16 * 1024);
    return text;
  }

  /** Drops entries past their age, so paths no longer read (a removed interface) do not hold descriptors. */
  #sweep(now: number): void {
    this.#sweptMs = now;
    // A missing kernel path read every collection renews its entry once per age; one not renewed in two is dropped.
    // forEach rather than for-of over entries: no [key, value] pair per entry (a Map may lose entries as it is walked).
    // A pinned descriptor is dropped once unread for an age.
    this.#entries.forEach((e, path) => {
      if (now - (pinned(e) ? e.usedMs! : e.sinceMs) >= (e.kernelMissing === true ? 2 : 1) * this.#maxAgeMs) this.#forget(path, e);
    });
  }

  #forget(path: string, e: Entry): void {
    this.#entries.delete(path);
    if (e.fd !== undefined) {
      try {
        closeSync(e.fd);
      } catch {
        // already closed by the kernel's view of it; nothing to release
      }
    }
  }
}

function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true; // not a plain "missing": let the open report it
  }
}

/** Whether the nearest existing directory above `path` is on a kernel filesystem. */
function underKernelFs(path: string): boolean {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    try {
      return kernelFsTypes.has(statfsSync(dir).type);
    } catch {
      if (dir === dirname(dir)) return false;
    }
  }
}

function onKernelFs(path: string): boolean {
  return kernelFsTypes.has(fsType(path));
}

/** The f_type of the filesystem holding `path`; -1 when statfs fails. */
function fsType(path: string): number {
  try {
    return statfsSync(path).type;
  } catch {
    return -1;
  }
}

/** The process's one instance: the host collectors read through it. */
export const keptFiles = new KeptFiles();
