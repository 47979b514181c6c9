/**
 * The agent's optional features. They start in this order and stop in reverse, so the producers (StatsD, push)
 * flush their last interval into the store before the reporter takes its final flush.
 */
import { statsdExtension } from './collectors/statsd/index';
import type { Extension } from './core/context';

export const extensions: Extension[] = [];
extensions.push((ctx) => import('./report/index').then((m) => m.reportExtension(ctx)));
extensions.push((ctx) => import('./collectors/push/index').then((m) => m.pushExtension(ctx)));
extensions.push(statsdExtension);
extensions.push((ctx) => import('./collectors/otlp/index').then((m) => m.otlpExtension(ctx)));
