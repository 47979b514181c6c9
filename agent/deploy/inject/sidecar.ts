/**
 * The injected container and its spool volume, as plain Kubernetes objects. Both the CLI (`outrider inject`) and
 * the admission webhook (`outrider injector`) build them here, so the two paths yield the same container.
 */
import { podEnvFields } from '../pod-labels';
import type { InjectOptions } from './options';

export const containerName = 'outrider';
export const spoolVolumeName = 'outrider-spool';
export const spoolPath = '/var/lib/outrider';
export const metricsPort = 9477;
export const statsdPort = 8125;
/** Port names are IANA service names: at most 15 characters. */
export const metricsPortName = 'outrider-metric';
export const statsdPortName = 'outrider-statsd';
/** The fixed non-root UID/GID of the image (Dockerfile.sidecar). */
export const runAsUser = 65532;

export type KObject = Record<string, unknown>;

export function sidecarArgs(o: InjectOptions): string[] {
  // Inside a pod the probes and the Prometheus scrape come from outside the container, so the endpoint binds all
  // addresses; StatsD stays on loopback because the app shares the pod's network namespace.
  const args = ['agent', `--listen=0.0.0.0:${metricsPort}`, `--statsd.listen=udp://127.0.0.1:${statsdPort}`];
  if (o.reportTo) args.push(`--report-to=${o.reportTo}`);
  args.push(...o.extraArgs);
  return args;
}

function resources(o: InjectOptions): KObject {
  const requests: KObject = {};
  const limits: KObject = {};
  if (o.cpuRequest) requests.cpu = o.cpuRequest;
  if (o.memoryRequest) requests.memory = o.memoryRequest;
  if (o.cpuLimit) limits.cpu = o.cpuLimit;
  if (o.memoryLimit) limits.memory = o.memoryLimit;
  const out: KObject = {};
  if (Object.keys(requests).length) out.requests = requests;
  if (Object.keys(limits).length) out.limits = limits;
  return out;
}

/** The Outrider container; `native` adds restartPolicy Always (a native sidecar among the init containers). */
export function sidecarContainer(o: InjectOptions, native: boolean): KObject {
  const c: KObject = {
    name: containerName,
    image: o.image,
    imagePullPolicy: o.imagePullPolicy,
  };
  if (native) c.restartPolicy = 'Always';
  Object.assign(c, {
    args: sidecarArgs(o),
    env: Object.entries(podEnvFields).map(([name, fieldPath]) => ({ name, valueFrom: { fieldRef: { fieldPath } } })),
    ports: [
      { name: metricsPortName, containerPort: metricsPort, protocol: 'TCP' },
      { name: statsdPortName, containerPort: statsdPort, protocol: 'UDP' },
    ],
    resources: resources(o),
    livenessProbe: { httpGet: { path: '/healthz', port: metricsPortName }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: '/readyz', port: metricsPortName }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
    volumeMounts: [{ name: spoolVolumeName, mountPath: spoolPath }],
    securityContext: {
      runAsNonRoot: true,
      runAsUser,
      runAsGroup: runAsUser,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    terminationMessagePolicy: 'FallbackToLogsOnError',
  });
  return c;
}

export function spoolVolume(o: InjectOptions): KObject {
  return { name: spoolVolumeName, emptyDir: o.spoolSizeLimit ? { sizeLimit: o.spoolSizeLimit } : {} };
}
