import { readFileSync } from 'node:fs';

/**
 * A heap snapshot's objects grouped by kind (`type name`, the name cut to 40 characters and kept only where
 * `named(type)` says so), largest self size first.
 */
export function heapKinds(file: string, named: (type: string) => boolean): Array<[string, { count: number; bytes: number }]> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const f = snap.snapshot.meta.node_fields;
  const width = f.length;
  const typeAt = f.indexOf('type');
  const nameAt = f.indexOf('name');
  const sizeAt = f.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const by = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = named(type) ? snap.strings[snap.nodes[i + nameAt]!]!.slice(0, 40) : '';
    const k = `${type} ${name}`;
    const e = by.get(k) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += snap.nodes[i + sizeAt]!;
    by.set(k, e);
  }
  return [...by].sort((a, b) => b[1].bytes - a[1].bytes);
}
