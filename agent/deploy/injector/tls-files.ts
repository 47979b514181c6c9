/**
 * TLS material read from files and watched for rotation (cert-manager or a Secret update swaps them in place).
 * A periodic stat of both files (following the symlinks a Secret volume uses) notices a change; the new pair is
 * checked with `tls.createSecureContext` before it replaces the old one, so a half-written or mismatched pair
 * keeps the previous certificate in service.
 */
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { OutriderError } from '../../core/errors';

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

function stamp(path: string): string {
  const s = statSync(path);
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

export function readPair(certPath: string, keyPath: string): TlsPair {
  let pair: TlsPair;
  try {
    pair = { cert: readFileSync(certPath), key: readFileSync(keyPath) };
  } catch (err) {
    throw new OutriderError('OUTRIDER_ERR_INJECTOR_TLS', `cannot read the TLS certificate or key: ${(err as Error).message}`);
  }
  try {
    createSecureContext({ cert: pair.cert, key: pair.key });
  } catch (err) {
    throw new OutriderError('OUTRIDER_ERR_INJECTOR_TLS', `the TLS certificate and key do not form a usable pair: ${(err as Error).message}`);
  }
  return pair;
}

export class TlsWatcher {
  readonly #cert: string;
  readonly #key: string;
  #last = '';
  #failed = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(certPath: string, keyPath: string) {
    this.#cert = certPath;
    this.#key = keyPath;
  }

  /** Reads the pair and remembers the files' identity. */
  load(): TlsPair {
    const before = this.#stamps();
    const pair = readPair(this.#cert, this.#key);
    this.#last = before;
    return pair;
  }

  #stamps(): string {
    try {
      return `${stamp(this.#cert)}|${stamp(this.#key)}`;
    } catch {
      return 'missing';
    }
  }

  /** Checks every `intervalMs`; `onChange` gets a validated new pair, `onError` a reason to keep the old one. */
  watch(intervalMs: number, onChange: (p: TlsPair) => void, onError: (err: Error) => void): void {
    this.stop();
    this.#timer = setInterval(() => this.check(onChange, onError), intervalMs);
    this.#timer.unref();
  }

  /** One check (also used by tests). Returns whether a new pair was installed. */
  check(onChange: (p: TlsPair) => void, onError: (err: Error) => void): boolean {
    const now = this.#stamps();
    if (now === this.#last || now === this.#failed) return false;
    try {
      const pair = readPair(this.#cert, this.#key);
      this.#last = now;
      onChange(pair);
      return true;
    } catch (err) {
      // Reported once per state of the files: the other half of the pair may still be on its way.
      this.#failed = now;
      onError(err as Error);
      return false;
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
