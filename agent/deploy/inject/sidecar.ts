/**
 * The injected container and its spool volume, as plain Kubernetes objects. Both the CLI (`outrider inject`) and
 * the admission webhook (`outrider injector`) build them here, so the two paths yield the same container.
 */
import { podEnvFields } from '../pod-labels';
import type { InjectOptions } from './options';
import { profileFlags } from './profile';
import { quantityText, SpoolBudget, spoolFlags } from './spool-budget';

export const containerName = 'outrider';
/** The Prometheus pod annotations, read by the sidecar's scrape.annotations.* keys (an absent one reads as ""). */
export const scrapeAnnotationEnv: Record<string, string> = Object.fromEntries(
  ['scrape', 'port', 'path', 'scheme'].map((a) => [`OUTRIDER_SCRAPE_ANNOTATIONS_${a.toUpperCase()}`, `metadata.annotations['prometheus.io/${a}']`]),
);
export const spoolVolumeName = 'outrider-spool';
/** The aggregator token's Secret, mounted read-only here when inject.token_secret names one. */
export const tokenVolumeName = 'outrider-token';
export const tokenPath = '/etc/outrider/token';
export const spoolPath = '/var/lib/outrider';
export const metricsPort = 9477;
export const statsdPort = 8125;
/** Port names are IANA service names: at most 15 characters. */
export const metricsPortName = 'outrider-metric';
export const statsdPortName = 'outrider-statsd';
/** The fixed non-root UID/GID of the image (Dockerfile.sidecar). */
export const runAsUser = 65532;

export type KObject = Record<string, unknown>;

/** Label every injected pod template gets (the PodMonitor in config/kubernetes selects on it). */
export const injectedLabel = { name: 'outrider.io/injected', value: 'true' } as const;

/** The Prometheus annotation convention; added only when the pod has none of these keys itself. */
export const scrapeAnnotations: Record<string, string> = {
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': String(metricsPort),
  'prometheus.io/path': '/metrics',
};

/**
 * The agent's arguments: listeners, the sidecar profile, the spool sizes of `budget`, then the user's flags (which
 * come last, so they win for scalar keys and add to list keys).
 */
export function sidecarArgs(o: InjectOptions, budget?: SpoolBudget): string[] {
  // Inside a pod the probes and the Prometheus scrape come from outside the container, so the endpoint binds all
  // addresses; StatsD stays on loopback because the app shares the pod's network namespace.
  const args = ['agent', `--listen=0.0.0.0:${metricsPort}`, `--statsd.listen=udp://127.0.0.1:${statsdPort}`, ...profileFlags()];
  if (budget) args.push(...spoolFlags(budget));
  if (o.reportTo) args.push(`--report-to=${o.reportTo}`);
  if (o.tokenSecret) args.push(`--report-token-file=${tokenPath}/${o.tokenSecretKey}`);
  args.push(...o.extraArgs);
  return args;
}

function resources(o: InjectOptions, extra: SidecarExtras): KObject {
  const requests: KObject = {};
  const limits: KObject = {};
  // Only when the pod already has ephemeral-storage limits: then the kubelet holds the pod to their sum, and the
  // spool volume would otherwise be paid for out of the application's share. Without them, a limit here would
  // create a pod-wide limit that the application's own writes could exceed.
  if (extra.ephemeralStorageLimitBytes) limits['ephemeral-storage'] = quantityText(extra.ephemeralStorageLimitBytes);
  if (o.cpuRequest) requests.cpu = o.cpuRequest;
  if (o.memoryRequest) requests.memory = o.memoryRequest;
  if (o.cpuLimit) limits.cpu = o.cpuLimit;
  if (o.memoryLimit) limits.memory = o.memoryLimit;
  const out: KObject = {};
  if (Object.keys(requests).length) out.requests = requests;
  if (Object.keys(limits).length) out.limits = limits;
  return out;
}

export interface SidecarExtras {
  /** Spool sizes derived from the spool volume (flags on the agent). */
  budget?: SpoolBudget;
  /** An ephemeral-storage limit for the container (see resources()). */
  ephemeralStorageLimitBytes?: number;
}

// A fresh object each time: a shared one would print as a YAML anchor and alias.
const healthz = () => ({ httpGet: { path: '/healthz', port: metricsPortName } });

/**
 * Probes. There is no readinessProbe on purpose: a sidecar's readiness is part of the pod's, so an agent that is not
 * ready (a full spool, an unreachable aggregator, a slow first collection) would take the application out of its
 * Service. A container without a readinessProbe counts as ready once it runs. /healthz fails only when a part of the
 * agent failed outright, and restarting the agent's container leaves the application's containers running.
 * A plain sidecar gets a startupProbe so that liveness does not count a slow start; a native sidecar gets none,
 * because the kubelet starts the application's containers only after a native sidecar's startupProbe has passed.
 */
export function sidecarProbes(native: boolean): KObject {
  if (native) return { livenessProbe: { ...healthz(), initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 } };
  return {
    startupProbe: { ...healthz(), periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 30 },
    livenessProbe: { ...healthz(), periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
  };
}

/** The Outrider container; `native` adds restartPolicy Always (a native sidecar among the init containers). */
export function sidecarContainer(o: InjectOptions, native: boolean, extra: SidecarExtras = {}): KObject {
  const c: KObject = {
    name: containerName,
    image: o.image,
    imagePullPolicy: o.imagePullPolicy,
  };
  if (native) c.restartPolicy = 'Always';
  Object.assign(c, {
    args: sidecarArgs(o, extra.budget),
    env: Object.entries({ ...podEnvFields, ...scrapeAnnotationEnv }).map(([name, fieldPath]) => ({ name, valueFrom: { fieldRef: { fieldPath } } })),
    ports: [
      { name: metricsPortName, containerPort: metricsPort, protocol: 'TCP' },
      { name: statsdPortName, containerPort: statsdPort, protocol: 'UDP' },
    ],
    resources: resources(o, extra),
    ...sidecarProbes(native),
    volumeMounts: [{ name: spoolVolumeName, mountPath: spoolPath }, ...(o.tokenSecret ? [{ name: tokenVolumeName, mountPath: tokenPath, readOnly: true }] : [])],
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

/** The token's Secret as a volume holding only its key (the Secret must exist in the pod's namespace). */
export function tokenVolume(o: InjectOptions): KObject {
  return { name: tokenVolumeName, secret: { secretName: o.tokenSecret, items: [{ key: o.tokenSecretKey, path: o.tokenSecretKey }] } };
}

export function spoolVolume(o: InjectOptions): KObject {
  return { name: spoolVolumeName, emptyDir: { sizeLimit: o.spoolSizeLimit } };
}
