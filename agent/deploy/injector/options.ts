/** The admission webhook's settings (`injector.*` in deploy/inject/keys.ts), parsed once, with what it injects. */
import type { Config } from '../../config/config';
import { InjectOptions, optionsFromConfig } from '../inject/options';

export interface InjectorOptions {
  /** HOST:PORT of the HTTPS listener. */
  listen: string;
  tlsCert: string;
  tlsKey: string;
  /** How often the certificate files are checked for a change (ms). */
  certCheckIntervalMs: number;
  maxBodyBytes: number;
  /** What an injected container looks like before a workload's annotations. */
  inject: InjectOptions;
}

export function optionsFrom(config: Config): InjectorOptions {
  return {
    listen: config.string('injector.listen'),
    tlsCert: config.string('injector.tls_cert'),
    tlsKey: config.string('injector.tls_key'),
    certCheckIntervalMs: config.number('injector.cert_check_interval'),
    maxBodyBytes: config.number('injector.max_body'),
    inject: optionsFromConfig(config),
  };
}
