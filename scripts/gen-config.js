'use strict';
// Regenerates config/outrider.yaml from the keys the components define (run after `npm run build`).
const fs = require('node:fs');
const path = require('node:path');
const { referenceYaml } = require('../dist/agent/config/reference.js');
const { agentKeys } = require('../dist/agent/keys.js');
const out = path.join(__dirname, '..', 'config', 'outrider.yaml');
fs.writeFileSync(out, referenceYaml(agentKeys));
console.log(`wrote ${out}`);
