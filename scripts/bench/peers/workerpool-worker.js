// The workerpool worker of the pool benches: echoes its payload (a string: workerpool's process
// workers talk JSON over the Node IPC channel).
const workerpool = require('workerpool');

workerpool.worker({ echo: (payload) => payload });
