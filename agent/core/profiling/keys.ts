import { defineKeys } from '../../config/schema';

const cmd = ['agent', 'aggregator'];

// Self-profiling endpoints under /debug/pprof/ (docs/profiling.md): off by default, loopback only without a token.
export const profilingKeys = defineKeys([
  { key: 'profiling.enabled', type: 'bool', default: false, commands: cmd, help: 'Serve /debug/pprof/ (CPU profile, heap snapshot, heap and event-loop summary) on the HTTP endpoint.' },
  {
    key: 'profiling.token_file',
    type: 'path',
    default: '',
    commands: cmd,
    help: 'File whose first line is the bearer token /debug/pprof/ requires; without one only loopback clients are served.',
  },
  { key: 'profiling.max_duration', type: 'duration', default: 60_000, min: 1000, max: 600_000, commands: cmd, help: 'Longest CPU profile one request may ask for.' },
  {
    key: 'profiling.memory_limit',
    type: 'size',
    default: 0,
    commands: cmd,
    help: 'Memory the process may use, for the heap snapshot check (0: the cgroup memory limit, else physical memory); a snapshot is refused when usage plus twice the heap would pass it.',
  },
]);
