// Our Node worker of the pool benches: echoes each payload, with a synchronous handler, in
// CommonJS, as the peers' workers in ../peers/ are. (test/fixtures/echo-worker.mjs is an ES
// module with an async handler for its test commands; pool-startup.mjs times it too, to show
// what the ES module loader costs at start.)
const { serve } = require('process-spawner/worker');

serve((payload) => payload);
