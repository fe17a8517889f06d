// A pool worker: answers each task with its payload (docs/strace.md, docs/exercises.md).
const { serve } = require('process-spawner/worker');

serve((payload) => payload);
