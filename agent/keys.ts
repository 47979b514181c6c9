/**
 * Every configuration key of the program, assembled from the components that own them (each a `keys.ts` next to its
 * code). The order is the order of --help and config/outrider.yaml. The loader, --help, check-config and
 * scripts/gen-config.js all take this one KeySet; config/ itself knows no component.
 */
import { aggregatorKeys } from './aggregator/keys';
import { analysisKeys } from './analysis/keys';
import { driftKeys } from './analysis/drift/keys';
import { recommendKeys } from './analysis/recommend/keys';
import { collectorNames, defaultCollectorNames } from './collectors/kinds';
import { gpuKeys } from './collectors/gpu/keys';
import { hostKeys } from './collectors/host/keys';
import { otlpKeys } from './collectors/otlp/keys';
import { runnerKeys } from './collectors/keys';
import { pushKeys } from './collectors/push/keys';
import { scrapeKeys } from './collectors/scrape/keys';
import { statsdKeys } from './collectors/statsd/keys';
import { check as checkPush } from './collectors/push/options';
import { Config } from './config/config';
import { CrossCheck, crossProblems } from './config/cross';
import type { ConfigProblem } from './config/load';
import { KeySet } from './config/schema';
import { coreKeys, labelKeys, memoryLimiterKeys } from './core/keys';
import { profilingKeys } from './core/profiling/keys';
import { injectKeys } from './deploy/inject/keys';
import { historyKeys } from './history/keys';
import { check as checkHistory } from './history/options';
import { queryKeys } from './query/keys';
import { liveKeys } from './live/keys';
import { reportKeys } from './report/keys';
import { rulesKeys } from './rules/keys';
import { checkTokenTransport } from './report/tls/options';
import { checkReport } from './report/options';
import { listenerClashes } from './config/listeners';

export const agentKeys = new KeySet(
  coreKeys,
  memoryLimiterKeys,
  runnerKeys(collectorNames(), defaultCollectorNames()),
  hostKeys,
  gpuKeys,
  statsdKeys,
  labelKeys,
  injectKeys,
  reportKeys,
  pushKeys,
  aggregatorKeys,
  scrapeKeys,
  otlpKeys,
  historyKeys,
  rulesKeys,
  queryKeys,
  liveKeys,
  profilingKeys,
  analysisKeys,
  driftKeys,
  recommendKeys,
);

/** The components' checks across keys, run after every key passed its own. */
/** The agent's TCP listeners: two on one port pass each key's check and then fail to bind (listen and push.listen: checkPush). */
const checkListeners = listenerClashes(
  [{ key: 'listen' }, { key: 'push.listen' }, { key: 'otlp.http.listen', active: (c) => c.bool('otlp.enabled') }, { key: 'otlp.grpc.listen', active: (c) => c.bool('otlp.enabled') }],
  new Set(['listen|push.listen']),
);

export const crossChecks: readonly CrossCheck[] = [checkPush, checkHistory, checkTokenTransport, checkReport, checkListeners];

/** Problems across keys of a configuration whose keys are each valid. */
export function checkAcross(config: Config): ConfigProblem[] {
  return crossProblems(config, crossChecks);
}

/** Every key at its default (tests and programmatic use). */
export function defaultConfig(): Config {
  return Config.defaults(agentKeys);
}
