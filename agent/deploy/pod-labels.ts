/**
 * Pod identity as labels. `outrider inject` gives the sidecar the downward-API variables below; `labels.from_env`
 * (label → variable) turns them into the `pod`, `namespace` and `node` labels (core/labels.ts) that StatsD series
 * and reported batches carry, so metrics from many pods stay apart.
 */
/** The downward-API variables the injected container receives (also listed in config/load.ts as non-config). */
export const podEnv = {
  podName: 'OUTRIDER_POD_NAME',
  namespace: 'OUTRIDER_POD_NAMESPACE',
  nodeName: 'OUTRIDER_NODE_NAME',
  podUid: 'OUTRIDER_POD_UID',
} as const;

/** The field each variable is read from (Kubernetes `fieldRef.fieldPath`). */
export const podEnvFields: Record<string, string> = {
  [podEnv.podName]: 'metadata.name',
  [podEnv.namespace]: 'metadata.namespace',
  [podEnv.nodeName]: 'spec.nodeName',
  [podEnv.podUid]: 'metadata.uid',
};

/** Label enrichment itself (envLabels, withEnvLabels) is shared by StatsD and reporting and lives in core. */
export { envLabels, withEnvLabels } from '../core/labels';
