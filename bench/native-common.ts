// Helpers shared by the native benchmarks.
import os from 'node:os';
import { nativeStatus } from '../agent/native';

export function header(name: string): void {
  const s = nativeStatus();
  console.log(`# ${name}`);
  console.log(`# node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), native: ${s.available ? 'yes' : `no (${s.reason})`}`);
}

export function fmt(n: number, unit = ''): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G${unit}`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M${unit}`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k${unit}`;
  return `${n.toFixed(1)} ${unit}`;
}

export function row(cells: Array<string | number>): void {
  console.log(`| ${cells.join(' | ')} |`);
}

export function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}
