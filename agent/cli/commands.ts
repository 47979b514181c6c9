/** The CLI's commands: one file each under cli/, registered here. */
export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

export const commands: Record<string, Command> = {
  agent: {
    summary: 'Run the agent (the main job).',
    // V8's optimizing compiler is held back before the agent's modules load (core/v8-tiering.ts).
    run: (a) =>
      import('../core/v8-tiering')
        .then((t) => t.holdBackOptimizer())
        .then(() => import('./agent'))
        .then((m) => m.run(a)),
  },
  aggregator: { summary: 'Run the central aggregator agents report to.', run: (a) => import('./aggregator').then((m) => m.run(a)) },
  'check-config': { summary: 'Validate a config file and print every problem.', run: (a) => import('./check-config').then((m) => m.run(a)) },
  'check-rules': { summary: 'Check Prometheus rule files as promtool check rules does.', run: (a) => import('./check-rules').then((m) => m.run(a)) },
  detect: { summary: 'Score a timestamp,value CSV with the streaming anomaly detector (→ timestamp,value,anomaly_score).', run: (a) => import('./detect').then((m) => m.run(a)) },
  inject: { summary: 'Add the Outrider sidecar to Kubernetes manifests (stdin or files → stdout).', run: (a) => import('./inject').then((m) => m.run(a)) },
  injector: { summary: 'Serve sidecar injection as a Kubernetes mutating admission webhook.', run: (a) => import('./injector').then((m) => m.run(a)) },
  'install-systemd': { summary: 'Install the hardened systemd unit and a starting config (host install).', run: (a) => import('./install-systemd').then((m) => m.run(a)) },
};
