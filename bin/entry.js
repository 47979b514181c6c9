'use strict';
// Which compiled agent the launcher (bin/outrider.js) runs, in one place: the launcher requires it, and so does the
// footprint bench, to say what it measured. The single-file bundle (scripts/bundle.js, built by `npm run build` and
// `npm install`) starts faster than the ~400 files of dist/ (bench/README.md, "Cold start"). It runs when it is there
// and not older than dist/agent/main.js, so a `tsc` build alone is never shadowed by a stale bundle. OUTRIDER_BUNDLE=0
// runs dist/, OUTRIDER_BUNDLE=1 the bundle whatever its age (dist/ when there is none).
const fs = require('node:fs');
const path = require('node:path');

/** The entry file of the package at `root`, and whether it is the bundle. */
function agentEntry(root, choice = process.env.OUTRIDER_BUNDLE) {
  const distMain = path.join(root, 'dist', 'agent', 'main.js');
  const bundle = path.join(root, 'dist-bundle', 'outrider.js');
  const mtime = (p) => fs.statSync(p, { throwIfNoEntry: false })?.mtimeMs;
  const bundled = mtime(bundle);
  const compiled = mtime(distMain);
  const useBundle = bundled !== undefined && choice !== '0' && (choice === '1' || compiled === undefined || bundled >= compiled);
  return { file: useBundle ? bundle : distMain, bundled: useBundle };
}

module.exports = { agentEntry };
