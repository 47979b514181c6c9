/** A small RFC 6902 applier (add, remove, replace, test) for checking the webhook's patches. */
type Json = unknown;

function unescape(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function applyPatch(doc: Json, ops: Array<{ op: string; path: string; value?: Json }>): Json {
  const root = structuredClone(doc) as Record<string, Json>;
  for (const op of ops) {
    if (!op.path.startsWith('/')) throw new Error(`bad pointer ${op.path}`);
    const segs = op.path.slice(1).split('/').map(unescape);
    const last = segs.pop()!;
    let parent: any = root;
    for (const s of segs) {
      parent = Array.isArray(parent) ? parent[Number(s)] : parent[s];
      if (parent === undefined || parent === null || typeof parent !== 'object') throw new Error(`path ${op.path} does not exist`);
    }
    if (Array.isArray(parent)) {
      const idx = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(idx) || idx < 0 || idx > parent.length) throw new Error(`bad index in ${op.path}`);
      if (op.op === 'add') parent.splice(idx, 0, op.value);
      else if (op.op === 'remove') parent.splice(idx, 1);
      else if (op.op === 'replace') parent[idx] = op.value;
      else throw new Error(`unsupported op ${op.op}`);
    } else {
      if (op.op === 'add' || op.op === 'replace') {
        if (op.op === 'replace' && !(last in parent)) throw new Error(`replace of missing ${op.path}`);
        parent[last] = op.value;
      } else if (op.op === 'remove') delete parent[last];
      else throw new Error(`unsupported op ${op.op}`);
    }
  }
  return root;
}
