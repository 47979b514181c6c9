/** The agent's optional features, registered in start order. */
import { statsdExtension } from './collectors/statsd/index';
import type { Extension } from './core/context';

export const extensions: Extension[] = [];
extensions.push(statsdExtension);
