/**
 * The import rules of agent/ as data (docs/ARCHITECTURE.md, "Rules"), and a checker over an import graph.
 *
 * Every file belongs to the unit with the longest matching prefix. An import from one unit to another must go to a
 * lower level; units of one level may import each other only where the level says so (the foundation), and no
 * import cycle may remain. To add a part of the tree, add a row to `units`; to add a level, add it to `levels`.
 */

export interface Level {
  level: number;
  name: string;
  /** Whether units of this level may import each other (cycles are still refused). */
  peers: boolean;
}

export const levels: Record<string, Level> = {
  entry: { level: 6, name: 'process entry', peers: false },
  cli: { level: 5, name: 'CLI', peers: false },
  root: { level: 4, name: 'composition root', peers: false },
  registry: { level: 3, name: 'registries of kinds and keys', peers: true },
  component: { level: 2, name: 'components', peers: false },
  shared: { level: 1, name: 'shared by components', peers: false },
  foundation: { level: 0, name: 'foundation', peers: true },
};

/** Unit prefix (relative to agent/; a trailing slash is a folder) → its level. */
export const units: Record<string, keyof typeof levels> = {
  'main.ts': 'entry',
  'cli/': 'cli',
  'agent.ts': 'root',
  'components.ts': 'registry', // the registry of components and their start and stop order
  'collectors/kinds.ts': 'registry',
  'keys.ts': 'registry', // every component's config keys, assembled
  'collectors/host/': 'component',
  'collectors/statsd/': 'component',
  'collectors/push/': 'component',
  'collectors/gpu/': 'component',
  'collectors/otlp/': 'component',
  'report/': 'component',
  'aggregator/': 'component',
  'deploy/': 'component',
  'analysis/': 'component',
  'rules/': 'component', // local recording and alerting rules
  'live/': 'component', // the live page
  'collectors/': 'shared', // the collector contract, the runner, shared parsers
  'exposition/': 'shared', // rendering and the local endpoint, served by the agent and the aggregator
  'query/': 'shared', // the PromQL engine over the local history
  'core/': 'foundation',
  'store/': 'foundation',
  'config/': 'foundation',
  'native/': 'foundation',
  'wire/': 'foundation',
  'formats/': 'foundation',
  'history/': 'foundation', // the local history of the store's series
};

export interface Pending {
  from: string;
  to: string;
  /** What removes the arrow. */
  until: string;
}

/**
 * Arrows that break the rules today and are being removed; matched by prefix. Each says what removes it. The
 * checker leaves them out of the rules and out of the cycle search.
 */
export const pending: Pending[] = [];

export interface Edge {
  from: string;
  to: string;
}

export function unitOf(file: string): string | undefined {
  let best: string | undefined;
  for (const u of Object.keys(units)) {
    const hit = u.endsWith('/') ? file.startsWith(u) : file === u;
    if (hit && (best === undefined || u.length > best.length)) best = u;
  }
  return best;
}

function isPending(e: Edge): boolean {
  return pending.some((p) => e.from.startsWith(p.from) && e.to.startsWith(p.to));
}

/** Problems of a graph (files relative to agent/): unknown files, upward or sideways arrows, cycles. */
export function check(edges: readonly Edge[], files: readonly string[]): string[] {
  const problems: string[] = [];
  for (const f of files) if (unitOf(f) === undefined) problems.push(`${f} belongs to no unit: add its folder to the table in test/architecture/layers.ts`);
  const live = edges.filter((e) => !isPending(e));
  for (const e of live) {
    const a = unitOf(e.from);
    const b = unitOf(e.to);
    if (a === undefined || b === undefined || a === b) continue;
    const la = levels[units[a]!]!;
    const lb = levels[units[b]!]!;
    if (lb.level < la.level) continue;
    if (lb.level === la.level && la.peers) continue;
    const how = lb.level === la.level ? `sideways between two ${la.name}` : `up from ${la.name} to ${lb.name}`;
    problems.push(`${e.from} imports ${e.to}: ${how}`);
  }
  for (const cycle of cycles(live)) problems.push(`import cycle: ${cycle.join(' → ')}`);
  return problems;
}

/** Every elementary cycle found by a depth-first search (one report per strongly connected back edge). */
export function cycles(edges: readonly Edge[]): string[][] {
  const out = new Map<string, string[]>();
  for (const e of edges) if (!out.has(e.from)) out.set(e.from, []);
  for (const e of edges) out.get(e.from)!.push(e.to);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of out.get(n) ?? []) {
      const s = state.get(m);
      if (s === 'open') found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (s === undefined) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...out.keys()].sort()) if (!state.has(n)) visit(n);
  return found;
}
