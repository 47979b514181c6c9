/**
 * Kubernetes schema checks for manifests: each object is validated by its `kubernetes-models` class (the
 * OpenAPI schemas of the Kubernetes API, compiled), `List` kinds item by item. Those schemas allow unknown fields
 * (as the API server does unless asked to be strict), so the objects the injection writes are also checked field
 * by field: every key of the injected container, its probes, resources and security context, and the spool volume
 * must be a field of its schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type K = Record<string, any>;

/** Custom resources whose schemas ship with their operators, not with Kubernetes. */
const customGroups = ['cert-manager.io/', 'monitoring.coreos.com/'];

function modelPath(apiVersion: string): string {
  return apiVersion === 'v1' ? 'kubernetes-models/v1' : `kubernetes-models/${apiVersion}`;
}

/** Problems of one object (and its items when it is a List); [] when valid. `custom` collects skipped CRs. */
export function validateObject(obj: K, where = '', custom: string[] = []): string[] {
  const name = `${where}${obj?.kind ?? '?'} ${obj?.metadata?.name ?? ''}`.trim();
  if (!obj || typeof obj !== 'object') return [`${where}: not an object`];
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    return obj.items.flatMap((item: K, i: number) => validateObject(item, `${name} items[${i}]: `, custom));
  }
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') return [`${name}: no apiVersion or kind`];
  if (customGroups.some((g) => obj.apiVersion.startsWith(g))) {
    custom.push(`${obj.apiVersion} ${obj.kind}`);
    return [];
  }
  let mod: K;
  try {
    mod = require(modelPath(obj.apiVersion)) as K;
  } catch {
    return [`${name}: unknown apiVersion ${obj.apiVersion}`];
  }
  const Model = mod[obj.kind];
  if (typeof Model !== 'function') return [`${name}: unknown kind ${obj.kind} in ${obj.apiVersion}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    return [`${name}: ${(err as Error).message}`];
  }
}

const schemaDir = join(require.resolve('kubernetes-models/package.json'), '..', '_schemas');
const fieldCache = new Map<string, Set<string>>();

/** The field names a compiled schema validates (e.g. `IoK8sApiCoreV1Container`). */
export function schemaFields(schema: string): Set<string> {
  let f = fieldCache.get(schema);
  if (!f) {
    const text = readFileSync(join(schemaDir, `${schema}.js`), 'utf8');
    f = new Set([...text.matchAll(/data\.([a-zA-Z]+)/g)].map((m) => m[1]!).filter((n) => n !== 'length'));
    fieldCache.set(schema, f);
  }
  return f;
}

function unknownKeys(obj: K | undefined, schema: string, where: string): string[] {
  if (!obj) return [];
  const fields = schemaFields(schema);
  return Object.keys(obj)
    .filter((k) => !fields.has(k))
    .map((k) => `${where}.${k} is not a field of ${schema}`);
}

/** Strict check of the injected container and spool volume of a pod spec. */
export function strictInjected(spec: K): string[] {
  const c = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find((x: K) => x.name === 'outrider');
  if (!c) return ['no outrider container'];
  const out = unknownKeys(c, 'IoK8sApiCoreV1Container', 'container');
  for (const p of ['livenessProbe', 'startupProbe', 'readinessProbe']) {
    out.push(...unknownKeys(c[p], 'IoK8sApiCoreV1Probe', p));
    out.push(...unknownKeys(c[p]?.httpGet, 'IoK8sApiCoreV1HTTPGetAction', `${p}.httpGet`));
  }
  out.push(...unknownKeys(c.resources, 'IoK8sApiCoreV1ResourceRequirements', 'resources'));
  out.push(...unknownKeys(c.securityContext, 'IoK8sApiCoreV1SecurityContext', 'securityContext'));
  for (const [i, p] of (c.ports ?? []).entries()) out.push(...unknownKeys(p, 'IoK8sApiCoreV1ContainerPort', `ports[${i}]`));
  for (const [i, e] of (c.env ?? []).entries()) out.push(...unknownKeys(e, 'IoK8sApiCoreV1EnvVar', `env[${i}]`));
  const vol = (spec.volumes ?? []).find((v: K) => v.name === 'outrider-spool');
  if (!vol) out.push('no outrider-spool volume');
  else {
    out.push(...unknownKeys(vol, 'IoK8sApiCoreV1Volume', 'volume'));
    out.push(...unknownKeys(vol.emptyDir, 'IoK8sApiCoreV1EmptyDirVolumeSource', 'volume.emptyDir'));
  }
  return out;
}

/** The pod specs of a workload (or of every item of a List). */
export function podSpecs(obj: K): K[] {
  if (!obj) return [];
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) return obj.items.flatMap(podSpecs);
  if (obj.kind === 'Pod') return obj.spec ? [obj.spec] : [];
  if (obj.kind === 'CronJob') return [obj.spec?.jobTemplate?.spec?.template?.spec].filter(Boolean);
  return obj.spec?.template?.spec ? [obj.spec.template.spec] : [];
}
