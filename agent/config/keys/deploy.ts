import { defineKeys } from '../schema';

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const envVar = /^[A-Za-z_][A-Za-z0-9_]*$/;

defineKeys([
  {
    key: 'labels.from_env',
    type: 'map',
    default: { pod: 'OUTRIDER_POD_NAME', namespace: 'OUTRIDER_POD_NAMESPACE', node: 'OUTRIDER_NODE_NAME' },
    help:
      'Labels added to StatsD series and reported batches, each taken from an environment variable (label=VAR); a variable that is unset or empty adds no label. The defaults read the downward-API variables `outrider inject` sets in a pod; {} turns this off.',
    check: (v) => {
      for (const [label, name] of Object.entries(v as Record<string, string>)) {
        if (!labelName.test(label) || label.startsWith('__')) return `label names matching ${labelName.source} (got ${JSON.stringify(label)})`;
        if (!envVar.test(name)) return `environment variable names (got ${JSON.stringify(name)} for label ${label})`;
      }
      return undefined;
    },
  },
]);
