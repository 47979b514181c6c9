/**
 * A web config file in service: loaded once (a bad file is an error at start), then re-read when it or a file it
 * names changes (a periodic stat) and on SIGHUP. A reload that fails keeps the settings in service and is logged
 * once per state of the files; TLS cannot be switched on or off without a restart (the listener's protocol is
 * fixed), so such a change is refused the same way.
 */
import type { Logger } from 'pino';
import { BasicAuth } from './web-config-auth';
import { fileStamps, loadTlsMaterial, TlsMaterial } from './web-config-tls';
import { readWebConfig, WebConfig } from './web-config';

export interface WebSettings {
  config: WebConfig;
  tls: TlsMaterial | undefined;
  auth: BasicAuth;
}

/** Reads a web config file and its TLS files; throws OUTRIDER_ERR_WEB_CONFIG. */
export function loadWebSettings(file: string): WebSettings {
  const config = readWebConfig(file);
  return { config, tls: config.tls ? loadTlsMaterial(config.tls, file) : undefined, auth: new BasicAuth(config.users) };
}

function watchedFiles(s: WebSettings): string[] {
  const t = s.config.tls;
  return [s.config.file, ...(t ? [t.certFile, t.keyFile, ...(t.clientCaFile ? [t.clientCaFile] : [])] : [])];
}

export class WebConfigWatcher {
  readonly #log: Logger;
  #current: WebSettings;
  #stamps: string;
  #failed = '';
  #timer: NodeJS.Timeout | undefined;
  #onHup: (() => void) | undefined;

  constructor(file: string, log: Logger) {
    this.#log = log;
    this.#current = loadWebSettings(file);
    this.#stamps = fileStamps(watchedFiles(this.#current));
  }

  get current(): WebSettings {
    return this.#current;
  }

  /**
   * Re-reads the files when they changed (or always, with `force`) and hands valid new settings to `apply`.
   * Returns whether new settings were applied.
   */
  check(apply: (s: WebSettings) => void, force = false): boolean {
    const stamps = fileStamps(watchedFiles(this.#current));
    if (!force && (stamps === this.#stamps || stamps === this.#failed)) return false;
    try {
      const next = loadWebSettings(this.#current.config.file);
      if ((next.tls === undefined) !== (this.#current.tls === undefined)) {
        throw new Error(`TLS cannot be turned ${next.tls ? 'on' : 'off'} while running; restart to change it`);
      }
      apply(next);
      this.#current = next;
      this.#stamps = fileStamps(watchedFiles(next));
      this.#failed = '';
      this.#log.info({ file: next.config.file, tls: next.tls !== undefined, users: next.config.users.size }, 'Web config reloaded.');
      return true;
    } catch (err) {
      // Reported once per state of the files: the other half of a certificate pair may still be on its way.
      if (stamps !== this.#failed) this.#log.error({ file: this.#current.config.file, err: (err as Error).message }, 'The web config cannot be used; the previous settings stay in service.');
      this.#failed = stamps;
      return false;
    }
  }

  /** Checks every `intervalMs` and on SIGHUP. */
  watch(intervalMs: number, apply: (s: WebSettings) => void): void {
    this.stop();
    this.#timer = setInterval(() => this.check(apply), intervalMs);
    this.#timer.unref();
    this.#onHup = () => this.check(apply, true);
    process.on('SIGHUP', this.#onHup);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#onHup) process.off('SIGHUP', this.#onHup);
    this.#onHup = undefined;
  }
}
