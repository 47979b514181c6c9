/** The native receive path (placeholder until the addon's statsd binding is built). */
import type { EngineOptions, StatsdEngine } from './engine';

export function loadNativeEngine(_opts: EngineOptions): { engine: StatsdEngine } | { reason: string } {
  return { reason: 'the native addon is not part of this build' };
}
