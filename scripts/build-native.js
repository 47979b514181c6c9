'use strict';
// Placeholder replaced by the native addon build (see native/). Until then the agent runs on its pure-TS twins.
console.log('outrider: native addon not part of this build yet; using the pure-TS twins');
