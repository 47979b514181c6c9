/** The profiling endpoints' settings, parsed once (the token file is read here, never logged). */
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/config';
import { OutriderError } from '../errors';

export interface ProfilingOptions {
  enabled: boolean;
  /** The bearer token; undefined: loopback clients only. */
  token: string | undefined;
  maxDurationMs: number;
  /** Bytes; 0: the cgroup limit, else physical memory. */
  memoryLimitBytes: number;
}

export function optionsFrom(config: Config): ProfilingOptions {
  const enabled = config.bool('profiling.enabled');
  const file = config.string('profiling.token_file');
  let token: string | undefined;
  if (enabled && file !== '') {
    try {
      token = readFileSync(file, 'utf8').split('\n')[0]!.trim();
    } catch (err) {
      throw new OutriderError('OUTRIDER_ERR_PROFILING_TOKEN_FILE', `cannot read profiling.token_file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (token === '') throw new OutriderError('OUTRIDER_ERR_PROFILING_TOKEN_FILE', `profiling.token_file ${file} is empty`);
  }
  return { enabled, token, maxDurationMs: config.number('profiling.max_duration'), memoryLimitBytes: config.number('profiling.memory_limit') };
}
