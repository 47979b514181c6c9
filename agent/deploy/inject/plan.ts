/**
 * Where the pod templates are in a Kubernetes object and what to add to each. The result is a list of JSON-Patch
 * style "add" operations on the plain object, applied to a YAML document by the CLI (keeping comments) and sent as
 * an RFC 6902 patch by the admission webhook: one plan, two appliers, the same container either way.
 *
 * Injection is idempotent: a pod spec that already has a container or init container named `outrider` is left
 * alone, as is one whose annotations say `outrider.io/inject: "false"`.
 */
import { parseSizeBytes } from '../../config/units';
import { Annotations, annotation, InjectOptions, injectDisabled, resolveOptions } from './options';
import { containerName, injectedLabel, KObject, scrapeAnnotations, sidecarContainer, spoolVolume, spoolVolumeName, tokenVolume, tokenVolumeName } from './sidecar';
import { MiB, minSizeLimitBytes, quantityBytes, SpoolBudget, spoolBudget } from './spool-budget';

export type PathSeg = string | number;

/** Add `value` at `path`; a last segment '-' appends to an array, a number inserts before that index. */
export interface AddOp {
  op: 'add';
  path: PathSeg[];
  value: unknown;
}

export type TemplateStatus = 'injected' | 'already-injected' | 'disabled' | 'error';

export interface TemplateResult {
  kind: string;
  name: string;
  namespace?: string;
  status: TemplateStatus;
  native?: boolean;
  problems: string[];
}

/** Workload kinds and the path of their pod template; Pod is its own template. */
const templatePath: Record<string, PathSeg[]> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export const injectableKinds = Object.keys(templatePath);

const isObj = (v: unknown): v is KObject => v !== null && typeof v === 'object' && !Array.isArray(v);

function getIn(obj: unknown, path: PathSeg[]): unknown {
  let cur = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function annotationsOf(meta: unknown): Annotations {
  const a = isObj(meta) ? meta.annotations : undefined;
  return isObj(a) ? a : {};
}

function hasNamed(list: unknown, name: string): boolean {
  return Array.isArray(list) && list.some((c) => isObj(c) && c.name === name);
}

/**
 * Plans the injection into one pod template (metadata + spec) found at `base` inside the document.
 * `outer` are the workload's own annotations; the template's annotations override them.
 */
export function planTemplate(template: unknown, base: PathSeg[], opts: InjectOptions, outer: Annotations = {}): { ops: AddOp[]; native: boolean; status: TemplateStatus; problems: string[] } {
  const none = (status: TemplateStatus, problems: string[] = []) => ({ ops: [], native: false, status, problems });
  if (!isObj(template) || !isObj(template.spec)) return none('error', ['no pod spec found']);
  const spec = template.spec;
  const ann = { ...outer, ...annotationsOf(template.metadata) };
  if (injectDisabled(ann)) return none('disabled');
  if (hasNamed(spec.containers, containerName) || hasNamed(spec.initContainers, containerName)) return none('already-injected');
  if (spec.hostNetwork === true) {
    // In the node's network namespace the sidecar's 9477 and 8125 would collide with every other such pod (and with
    // the per-node DaemonSet): use the DaemonSet for these, or opt out.
    return none('error', ['hostNetwork pods share the node\'s ports; not injected (use the per-node DaemonSet, or set outrider.io/inject: "false")']);
  }
  const { options, problems } = resolveOptions(opts, ann);
  if (problems.length > 0) return none('error', problems);
  const spool = planSpool(spec, options);
  if ('problem' in spool) return none('error', [spool.problem]);
  const clear = tokenInClear(options);
  if (clear) return none('error', [clear]);
  const restart = typeof spec.restartPolicy === 'string' ? spec.restartPolicy : 'Always';
  const native = options.nativeSidecar === 'always' || (options.nativeSidecar === 'auto' && restart !== 'Always');
  const container = sidecarContainer(options, native, {
    budget: spool.budget,
    ...(hasEphemeralStorageLimit(spec) ? { ephemeralStorageLimitBytes: spool.budget.sizeLimitBytes + logReserveBytes } : {}),
  });
  const ops: AddOp[] = metadataOps(template.metadata, [...base, 'metadata']);
  const specPath = [...base, 'spec'];
  if (native) {
    // First among the init containers: it starts before every other container and stops after them.
    if (Array.isArray(spec.initContainers)) ops.push({ op: 'add', path: [...specPath, 'initContainers', 0], value: container });
    else ops.push({ op: 'add', path: [...specPath, 'initContainers'], value: [container] });
  } else if (Array.isArray(spec.containers)) {
    ops.push({ op: 'add', path: [...specPath, 'containers', '-'], value: container });
  } else {
    ops.push({ op: 'add', path: [...specPath, 'containers'], value: [container] });
  }
  if (!spool.own) {
    const vol = spoolVolume(options);
    if (Array.isArray(spec.volumes)) ops.push({ op: 'add', path: [...specPath, 'volumes', '-'], value: vol });
    else ops.push({ op: 'add', path: [...specPath, 'volumes'], value: [vol] });
  }
  if (options.tokenSecret && !(Array.isArray(spec.volumes) && spec.volumes.some((v) => isObj(v) && v.name === tokenVolumeName))) {
    ops.push({ op: 'add', path: [...specPath, 'volumes', '-'], value: tokenVolume(options) });
  }
  return { ops, native, status: 'injected', problems: [] };
}

/**
 * The agent refuses to send its token over plain http:// off loopback (report.allow_insecure_token); a sidecar that
 * cannot start would hold a native sidecar's pod back, so such an injection is refused here with the reason.
 */
function tokenInClear(o: InjectOptions): string | undefined {
  if (!o.tokenSecret || !o.reportTo.startsWith('http:')) return undefined;
  const host = new URL(o.reportTo).hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return undefined;
  if (o.extraArgs.some((a) => /^--report\.allow[-_]insecure[-_]token(=true)?$/.test(a))) return undefined;
  return `${annotation.tokenSecret} with report-to ${o.reportTo}: the agent does not send its token over plain http:// (it would travel in clear text); use an https:// report-to, or add --report.allow-insecure-token=true to inject.extra_args`;
}

/** The kubelet keeps up to 5 rotated logs of 10 MiB per container by default; the agent writes nothing else. */
const logReserveBytes = 64 * MiB;

function hasEphemeralStorageLimit(spec: KObject): boolean {
  const all = [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])];
  return all.some((c) => isObj(c) && isObj(c.resources) && isObj(c.resources.limits) && c.resources.limits['ephemeral-storage'] !== undefined);
}

/**
 * The spool volume and the spool sizes that fit it. A pod that brings its own `outrider-spool` volume keeps it: an
 * emptyDir with a sizeLimit sets the budget; any other volume (a PVC, an emptyDir without a limit) is budgeted at
 * the configured spool size. A spool.max_size given through the user's flags must fit the budget too.
 */
function planSpool(spec: KObject, o: InjectOptions): { budget: SpoolBudget; own: boolean } | { problem: string } {
  const own = Array.isArray(spec.volumes) ? spec.volumes.find((v) => isObj(v) && v.name === spoolVolumeName) : undefined;
  const ownLimit = isObj(own) && isObj(own.emptyDir) ? own.emptyDir.sizeLimit : undefined;
  const [limit, where] = ownLimit !== undefined ? [ownLimit, `the pod's ${spoolVolumeName} volume's sizeLimit`] : [o.spoolSizeLimit, `the spool size limit (${annotation.spoolSizeLimit})`];
  const bytes = quantityBytes(limit);
  if (bytes === undefined) return { problem: `${where} ${JSON.stringify(limit)} is not a Kubernetes quantity` };
  const budget = spoolBudget(bytes);
  if (!budget) return { problem: `${where} ${JSON.stringify(limit)} is below the ${minSizeLimitBytes / MiB}Mi the spool needs` };
  const userMax = o.extraArgs.filter((a) => a.startsWith('--spool.max-size=')).at(-1);
  if (userMax !== undefined) {
    const want = parseSizeBytes(userMax.slice('--spool.max-size='.length));
    if (want !== undefined && want > budget.maxSizeBytes) {
      return {
        problem: `spool.max_size ${userMax.slice(17)} does not fit ${where} ${JSON.stringify(limit)}: at most ${budget.maxSizeBytes / MiB}MiB leaves the headroom that keeps the kubelet from evicting the pod`,
      };
    }
  }
  return { budget, own: own !== undefined };
}

/** The injected label, and the scrape annotations unless the pod already carries prometheus.io annotations. */
function metadataOps(meta: unknown, path: PathSeg[]): AddOp[] {
  if (!isObj(meta)) return [{ op: 'add', path, value: { labels: { [injectedLabel.name]: injectedLabel.value }, annotations: { ...scrapeAnnotations } } }];
  const ops: AddOp[] = [];
  if (!isObj(meta.labels)) ops.push({ op: 'add', path: [...path, 'labels'], value: { [injectedLabel.name]: injectedLabel.value } });
  else if (meta.labels[injectedLabel.name] === undefined) ops.push({ op: 'add', path: [...path, 'labels', injectedLabel.name], value: injectedLabel.value });
  // The annotation convention names one endpoint per pod: an application that already asks to be scraped keeps it.
  if (!isObj(meta.annotations)) ops.push({ op: 'add', path: [...path, 'annotations'], value: { ...scrapeAnnotations } });
  else if (!Object.keys(meta.annotations).some((k) => k.startsWith('prometheus.io/'))) {
    for (const [k, v] of Object.entries(scrapeAnnotations)) ops.push({ op: 'add', path: [...path, 'annotations', k], value: v });
  }
  return ops;
}

/**
 * Plans every pod template in a manifest object: a workload of a known kind, or a `List` (any kind ending in
 * `List` with `items`) of them. Other kinds yield no results and no operations.
 */
export function planObject(obj: unknown, opts: InjectOptions, base: PathSeg[] = []): { ops: AddOp[]; results: TemplateResult[] } {
  const ops: AddOp[] = [];
  const results: TemplateResult[] = [];
  if (!isObj(obj)) return { ops, results };
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  if (kind.endsWith('List') && Array.isArray(obj.items)) {
    obj.items.forEach((item, i) => {
      const r = planObject(item, opts, [...base, 'items', i]);
      ops.push(...r.ops);
      results.push(...r.results);
    });
    return { ops, results };
  }
  const rel = templatePath[kind];
  if (!rel) return { ops, results };
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  const outer = kind === 'Pod' ? {} : annotationsOf(meta);
  const p = planTemplate(getIn(obj, rel), [...base, ...rel], opts, outer);
  ops.push(...p.ops);
  const result: TemplateResult = { kind, name: typeof meta.name === 'string' ? meta.name : typeof meta.generateName === 'string' ? meta.generateName : '', status: p.status, problems: p.problems };
  if (typeof meta.namespace === 'string') result.namespace = meta.namespace;
  if (p.status === 'injected') result.native = p.native;
  results.push(result);
  return { ops, results };
}
