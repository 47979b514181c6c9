import { version } from '../../core/version';
import { defineKeys } from '../../config/schema';

/** A Kubernetes resource quantity such as 20m, 0.5, 64Mi, 1G. */
const quantity = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const checkQuantity = (v: unknown) => (v === '' || quantity.test(String(v)) ? undefined : 'a Kubernetes quantity such as 20m, 0.5, 64Mi or 1Gi (or empty for none)');
const both = ['inject', 'injector'] as const;

export const injectKeys = defineKeys([
  {
    key: 'inject.image',
    type: 'string',
    default: `ghcr.io/outrider/outrider:${version}`,
    help: 'Image of the injected Outrider container (annotation outrider.io/image overrides it per workload).',
    commands: both,
    check: (v) => (String(v).trim() === '' || /\s/.test(String(v)) ? 'an image reference without spaces' : undefined),
  },
  {
    key: 'inject.image_pull_policy',
    type: 'enum',
    values: ['IfNotPresent', 'Always', 'Never'],
    default: 'IfNotPresent',
    help: 'imagePullPolicy of the injected container.',
    commands: both,
  },
  {
    key: 'inject.report_to',
    type: 'string',
    default: '',
    help: 'Aggregator URL the injected agent reports to (passed as --report-to; annotation outrider.io/report-to); empty: serve locally only.',
    commands: both,
  },
  {
    key: 'inject.token_secret',
    type: 'string',
    default: '',
    help: "Kubernetes Secret (in the pod's namespace) holding the aggregator token: mounted read-only into the injected container, which reads it as report.token_file (annotation outrider.io/token-secret); empty: no token.",
    commands: both,
    check: (v) => (v === '' || /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(String(v)) ? undefined : 'a Secret name (lower-case letters, digits, "-" and ".")'),
  },
  {
    key: 'inject.token_secret_key',
    type: 'string',
    default: 'token',
    help: 'Key of inject.token_secret whose value is the token.',
    commands: both,
    check: (v) => (/^[-._a-zA-Z0-9]+$/.test(String(v)) ? undefined : 'a Secret key (letters, digits, "-", "_" and ".")'),
  },
  {
    key: 'inject.native_sidecar',
    type: 'enum',
    values: ['auto', 'always', 'never'],
    default: 'auto',
    help: 'Inject as a native sidecar (an init container with restartPolicy Always; Kubernetes 1.29+, stable since 1.33): always, never, or auto (only for pods with restartPolicy Never/OnFailure, i.e. Jobs, whose completion a plain sidecar would block).',
    commands: both,
  },
  { key: 'inject.cpu_request', type: 'string', default: '20m', check: checkQuantity, help: 'CPU request of the injected container (annotation outrider.io/cpu-request).', commands: both },
  { key: 'inject.cpu_limit', type: 'string', default: '500m', check: checkQuantity, help: 'CPU limit of the injected container; empty for none (annotation outrider.io/cpu-limit).', commands: both },
  { key: 'inject.memory_request', type: 'string', default: '88Mi', check: checkQuantity, help: 'Memory request of the injected container (annotation outrider.io/memory-request).', commands: both },
  {
    key: 'inject.memory_limit',
    type: 'string',
    default: '256Mi',
    check: checkQuantity,
    help: 'Memory limit of the injected container; empty for none (annotation outrider.io/memory-limit).',
    commands: both,
  },
  {
    key: 'inject.spool_size_limit',
    type: 'string',
    default: '256Mi',
    check: (v) => (v === '' ? 'a Kubernetes quantity of at least 32Mi (the spool volume always has a sizeLimit)' : checkQuantity(v)),
    help: 'sizeLimit of the emptyDir spool volume; spool.max_size is derived from it with headroom (annotation outrider.io/spool-size-limit).',
    commands: both,
  },
  {
    key: 'inject.extra_args',
    type: 'list',
    item: 'string',
    default: [],
    help: "Extra flags appended to the injected agent's arguments, e.g. --statsd.flush-interval=5s.",
    commands: both,
  },
  {
    key: 'injector.listen',
    type: 'hostport',
    default: '0.0.0.0:8443',
    help: 'HTTPS address of the admission webhook (the API server must reach it, so not loopback by default).',
    commands: ['injector'],
  },
  { key: 'injector.tls_cert', type: 'path', default: '/etc/outrider/tls/tls.crt', help: 'PEM certificate (chain) the webhook serves; re-read when it changes.', commands: ['injector'] },
  { key: 'injector.tls_key', type: 'path', default: '/etc/outrider/tls/tls.key', help: 'PEM private key of injector.tls_cert; re-read when it changes.', commands: ['injector'] },
  {
    key: 'injector.cert_check_interval',
    type: 'duration',
    default: 10_000,
    min: 100,
    help: 'How often the certificate and key files are checked for changes (rotation by cert-manager or a Secret update).',
    commands: ['injector'],
  },
  {
    key: 'injector.max_body',
    type: 'size',
    default: 8 * 1024 * 1024,
    min: 1024,
    help: 'Largest AdmissionReview request body accepted; larger ones get an allowed response without injection.',
    commands: ['injector'],
  },
]);
