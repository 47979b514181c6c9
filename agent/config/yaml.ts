/**
 * The YAML parser, loaded on first use: an agent configured by flags alone, with no rule file and no web config
 * file (the sidecar), never loads it.
 */
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

export function yaml(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('yaml') as typeof Yaml);
}
