/**
 * node_exporter run with 23 of the agent's host collectors and its filters: the set `host-collect.js` times on both
 * sides (cgroup added on the agent's side). The agent runs these and 25 more by default; node_exporter's own
 * defaults (46 on Debian's build, systemd among them) are nearly the agent's 48.
 */
import { Config } from '../agent/config/config';
import { agentKeys } from '../agent/keys';
import { nodeExporterArgs, nodeExporterCollectors } from '../test/helpers/node-exporter';

/**
 * The node_exporter collectors `host-collect.js` runs on both sides: those the agent implements but timex, which came
 * after the host collection figures in bench/README.md were first recorded and is left out so they keep their basis.
 */
export const sharedCollectors = nodeExporterCollectors.filter((c) => c !== 'timex');

/** node_exporter's flags for `sharedCollectors` alone, with the agent's filters (its defaults unless `config` is given). */
export function sameCollectorArgs(config: Config = Config.defaults(agentKeys)): string[] {
  return nodeExporterArgs(config, sharedCollectors);
}
