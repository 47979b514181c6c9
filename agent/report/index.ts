/** The reporting extension: a Reporter when report.endpoints is set, a remote write output when report.remote_write is. */
import type { Component } from '../core/component';
import type { AgentContext, Extension } from '../core/context';
import { optionsFrom } from './options';
import { warnInsecure } from './tls/warn';

export { readToken } from './token';

export const reportExtension: Extension = async (ctx: AgentContext): Promise<Component[]> => {
  const o = optionsFrom(ctx.config);
  const out: Component[] = [];
  warnInsecure(o.tls, ctx.log, o.urls);
  // The reporter and the remote write output (and the HTTP client they bring, ~20 MiB of RSS) load only when configured.
  if (o.reporter) {
    const { Reporter } = await import('./reporter');
    const reporter = new Reporter(ctx, o.reporter);
    out.push(reporter);
    // The events go where the batches go now (the reporter's owner, or the aggregator it failed over to).
    if (o.events && ctx.events) {
      const { EventsSender } = await import('./events-sender');
      out.push(new EventsSender(ctx.events, () => reporter.endpoint, o.events, ctx));
    }
  }
  if (o.remoteWrite) {
    const { RemoteWriteOutput } = await import('./remote-write/output');
    out.push(new RemoteWriteOutput(ctx.store, { name: 'remote_write', log: ctx.log, telemetry: ctx.telemetry, health: ctx.health, ...o.remoteWrite }));
  }
  return out;
};
