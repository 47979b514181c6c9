/** The agent's optional features, registered in start order. */
import type { Extension } from './core/context';

export const extensions: Extension[] = [];
extensions.push((ctx) => import('./report/index.js').then((m) => m.reportExtension(ctx)));
extensions.push((ctx) => import('./collectors/push/index.js').then((m) => m.pushExtension(ctx)));
