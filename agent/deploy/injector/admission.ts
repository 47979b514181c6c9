/**
 * The mutating admission webhook's protocol: an `AdmissionReview` (admission.k8s.io/v1) request in, one out.
 *
 * The response echoes the request's `uid`, always allows the object (the webhook only ever adds the sidecar) and,
 * when it injects, carries the change as a base64 RFC 6902 JSON Patch (`patchType: JSONPatch`) whose paths escape
 * `~` as `~0` and `/` as `~1`. It fails open: a review it cannot read, an object it cannot inject into, a bad
 * annotation — each gets `allowed: true` with no patch and a warning the client sees. Only CREATE is mutated
 * (containers of a running pod are immutable). `dryRun` requests get the same answer: the webhook has no side
 * effects beyond its own request counters, which is what `sideEffects: None` declares.
 */
import type { InjectOptions } from '../inject/options';
import { AddOp, planObject, TemplateResult } from '../inject/plan';

export const reviewApiVersion = 'admission.k8s.io/v1';

export interface JsonPatchOp {
  op: 'add';
  path: string;
  value: unknown;
}

export type Outcome = 'injected' | 'already-injected' | 'disabled' | 'ignored' | 'error' | 'malformed';

export interface ReviewResult {
  /** The AdmissionReview to send back (HTTP 200). */
  review: Record<string, unknown>;
  outcome: Outcome;
  dryRun: boolean;
  /** The patch, decoded (tests, logs). */
  patch?: JsonPatchOp[];
  warnings: string[];
}

/** RFC 6901 pointer of a path. */
export function pointer(path: ReadonlyArray<string | number>): string {
  return path.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function toJsonPatch(ops: readonly AddOp[]): JsonPatchOp[] {
  return ops.map((o) => ({ op: 'add', path: pointer(o.path), value: o.value }));
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function respond(uid: string, extra: Record<string, unknown>, warnings: string[]): Record<string, unknown> {
  const response: Record<string, unknown> = { uid, allowed: true, ...extra };
  if (warnings.length) response.warnings = warnings.map((w) => (w.length > 200 ? w.slice(0, 197) + '...' : w));
  return { apiVersion: reviewApiVersion, kind: 'AdmissionReview', response };
}

export function malformed(why: string, uid = ''): ReviewResult {
  const warnings = [`outrider injector: ${why}; the object was admitted without the Outrider sidecar`];
  return { review: respond(uid, {}, warnings), outcome: 'malformed', dryRun: false, warnings };
}

/** Answers one AdmissionReview body. Never throws. */
export function handleReview(body: Buffer | string, opts: InjectOptions): ReviewResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return malformed('the request is not JSON');
  }
  if (!isObj(parsed) || !isObj(parsed.request)) return malformed('the request is not an AdmissionReview');
  const req = parsed.request;
  const uid = typeof req.uid === 'string' ? req.uid : '';
  if (!uid) return malformed('the AdmissionReview has no request.uid');
  if (parsed.apiVersion !== reviewApiVersion) return malformed(`unsupported AdmissionReview version ${JSON.stringify(parsed.apiVersion)} (want ${reviewApiVersion})`, uid);
  const dryRun = req.dryRun === true;
  const op = typeof req.operation === 'string' ? req.operation : 'CREATE';
  if (op !== 'CREATE' || !isObj(req.object)) {
    return { review: respond(uid, {}, []), outcome: 'ignored', dryRun, warnings: [] };
  }
  try {
    const object = req.object;
    // Pods made by a controller often have no namespace in the object yet; the request carries it.
    if (typeof req.namespace === 'string' && isObj(object.metadata) && object.metadata.namespace === undefined) {
      object.metadata = { ...object.metadata, namespace: req.namespace };
    }
    const { ops, results } = planObject(object, opts);
    const warnings: string[] = [];
    const first: TemplateResult | undefined = results[0];
    for (const r of results) if (r.status === 'error') warnings.push(`outrider injector: not injected into ${r.kind.toLowerCase()} ${r.name || '(unnamed)'}: ${r.problems.join('; ')}`);
    if (ops.length === 0) {
      const outcome: Outcome = !first ? 'ignored' : first.status === 'injected' ? 'ignored' : first.status;
      return { review: respond(uid, {}, warnings), outcome, dryRun, warnings };
    }
    const patch = toJsonPatch(ops);
    const encoded = Buffer.from(JSON.stringify(patch)).toString('base64');
    return { review: respond(uid, { patchType: 'JSONPatch', patch: encoded }, warnings), outcome: 'injected', dryRun, patch, warnings };
  } catch (err) {
    return malformed(`internal error (${err instanceof Error ? err.message : String(err)})`, uid);
  }
}
