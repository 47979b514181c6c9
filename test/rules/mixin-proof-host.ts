/**
 * The host conditions the node-mixin proof drives: a small tmpfs to fill (space and inodes), a proc tree whose
 * files are the real /proc except the few the test writes (file descriptors, conntrack), and bounded busy
 * processes for CPU load. Everything started here is undone by the caller's teardown.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Mounts a tmpfs of `bytes` and `inodes` at `dir`; the error text when the mount is refused. */
export function mountTmpfs(dir: string, bytes: number, inodes: number): string | undefined {
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},nr_inodes=${inodes},mode=0700`, 'outrider-proof', dir], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return r.error.message;
  if (r.status !== 0) return (r.stderr || `mount exited with ${r.status}`).trim();
  return undefined;
}

export function unmount(dir: string): void {
  spawnSync('umount', [dir], { stdio: 'ignore', timeout: 10_000 });
}

/** Fills the filesystem at `dir` to leave about `leaveBytes` available (one file written in 256 KiB chunks). */
export function fillSpace(dir: string, leaveBytes: number): void {
  const st = fs.statfsSync(dir);
  const total = Math.floor(st.bavail * st.bsize - leaveBytes);
  const fd = fs.openSync(path.join(dir, 'fill.bin'), 'a');
  try {
    const chunk = Buffer.alloc(256 * 1024, 1);
    for (let done = 0; done < total; done += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, total - done));
  } finally {
    fs.closeSync(fd);
  }
}

/** Creates empty files in `dir` until `leave` inodes are free. */
export function fillInodes(dir: string, leave: number): void {
  const n = fs.statfsSync(dir).ffree - leave;
  const first = fs.readdirSync(dir).length;
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `f${first + i}`), '');
}

/**
 * A proc tree at `dir`: every entry of /proc is a symlink to the real one, except the files named in `files`
 * (paths relative to the proc root), which are regular files the test writes, and the directories on their way,
 * which are real directories of symlinks. Process entries other than 1 and self are left out.
 */
export function fakeProcfs(dir: string, files: Record<string, string>): (rel: string, text: string) => void {
  const build = (real: string, fake: string, own: string[]): void => {
    fs.mkdirSync(fake, { recursive: true });
    const entries = fs.existsSync(real) ? fs.readdirSync(real) : [];
    const mine = new Set(own.map((p) => p.split('/')[0]!));
    for (const e of entries) {
      if (mine.has(e) || (real === '/proc' && /^\d+$/.test(e) && e !== '1')) continue;
      fs.symlinkSync(path.join(real, e), path.join(fake, e));
    }
    for (const e of mine) {
      const deeper = own.filter((p) => p.startsWith(e + '/')).map((p) => p.slice(e.length + 1));
      if (deeper.length > 0) build(path.join(real, e), path.join(fake, e), deeper);
      else fs.writeFileSync(path.join(fake, e), files[path.relative(dir, path.join(fake, e))] ?? '');
    }
  };
  build('/proc', dir, Object.keys(files));
  return (rel, text) => {
    const tmp = path.join(dir, rel) + '.tmp';
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, path.join(dir, rel));
  };
}

/**
 * `n` processes that spin for at most `ms` (each stops itself), and a kill for all of them. They run at nice 19:
 * they take every idle cycle (time the kernel counts in the "nice" mode, which is not idle) but yield to other work,
 * so tests running beside this one keep their CPU.
 */
export function busyProcesses(n: number, ms: number): { pids: number[]; stop(): void } {
  const kids: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const kid = spawn(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end);`], { stdio: 'ignore' });
    kids.push(kid);
    if (kid.pid !== undefined) os.setPriority(kid.pid, 19);
  }
  return {
    pids: kids.map((k) => k.pid ?? 0),
    stop: () => {
      for (const k of kids) if (k.exitCode === null && k.signalCode === null) k.kill('SIGKILL');
    },
  };
}

/** True when this process's cgroup caps its CPU (then busy processes cannot fill every CPU the host reports). */
export function cpuCapped(): boolean {
  try {
    const max = fs.readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim();
    return !max.startsWith('max');
  } catch {
    return false;
  }
}
