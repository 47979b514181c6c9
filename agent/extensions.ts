/** The agent's optional features, registered in start order. */
import type { Extension } from './core/context';

export const extensions: Extension[] = [];
