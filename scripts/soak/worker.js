// The soak's pool worker: answers each task with its payload, after `sleepMs` when the payload
// (JSON) asks for it, so that kills and stops land on busy workers as well as idle ones.
const { serve } = require('process-spawner/worker');

serve(async (payload) => {
  const { sleepMs } = JSON.parse(payload.toString());
  if (sleepMs > 0) await new Promise((resolve) => setTimeout(resolve, sleepMs));
  return payload;
});
