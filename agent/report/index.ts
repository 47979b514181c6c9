/** The reporting extension: a Reporter when report.endpoints is set, a remote write output when report.remote_write is. */
import type { Component } from '../core/component';
import type { AgentContext, Extension } from '../core/context';
import { optionsFrom } from './options';
import { RemoteWriteOutput } from './remote-write/output';
import { Reporter } from './reporter';

export { readToken } from './token';

export const reportExtension: Extension = (ctx: AgentContext): Component[] => {
  const o = optionsFrom(ctx.config);
  const out: Component[] = [];
  if (o.reporter) out.push(new Reporter(ctx, o.reporter));
  if (o.remoteWrite) out.push(new RemoteWriteOutput(ctx.store, { name: 'remote_write', log: ctx.log, telemetry: ctx.telemetry, health: ctx.health, ...o.remoteWrite }));
  return out;
};
