/**
 * Every configuration key of the program, assembled from the components that own them (each a `keys.ts` next to its
 * code). The order is the order of --help and config/outrider.yaml. The loader, --help, check-config and
 * scripts/gen-config.js all take this one KeySet; config/ itself knows no component.
 */
import { aggregatorKeys } from './aggregator/keys';
import { collectorNames, defaultCollectorNames } from './collectors/kinds';
import { hostKeys } from './collectors/host/keys';
import { runnerKeys } from './collectors/keys';
import { pushKeys } from './collectors/push/keys';
import { statsdKeys } from './collectors/statsd/keys';
import { Config } from './config/config';
import { KeySet } from './config/schema';
import { coreKeys, labelKeys } from './core/keys';
import { injectKeys } from './deploy/inject/keys';
import { reportKeys } from './report/keys';

export const agentKeys = new KeySet(
  coreKeys,
  runnerKeys(collectorNames(), defaultCollectorNames()),
  hostKeys,
  statsdKeys,
  labelKeys,
  injectKeys,
  reportKeys,
  pushKeys,
  aggregatorKeys,
);

/** Every key at its default (tests and programmatic use). */
export function defaultConfig(): Config {
  return Config.defaults(agentKeys);
}
