// An example worker for the process-spawner protocol, in Node (the C and Python ones are
// workers/c/echo_worker.c and workers/python/echo_worker.py). The package exports it, as
// process-spawner/workers/echo-worker.mjs. Run it under a pool:
//   worker=$(node -p "require.resolve('process-spawner/workers/echo-worker.mjs')")
//   printf 'hello\nworld\n' | npx process-spawner --worker "node '$worker'" -w 2
//
// It answers each task with its payload, except for these commands, shared with the C and Python
// workers, which the test suites use to exercise a parent:
//   error:<text>  throws an error with code 42      crash        process.abort()s
//   sleep:<ms>    waits, then echoes                big:<n>      answers n bytes, byte i = i % 251
//   print:<text>  console.log()s the text (serve() routes it to stderr), then echoes
// The MAX_FRAME_SIZE environment variable, when set, becomes serve()'s maxFrameSize option.
import { serve } from 'process-spawner/worker';

function bigResult(length) {
  const bytes = Buffer.allocUnsafe(length);
  for (let index = 0; index < length; index++) bytes[index] = index % 251;
  return bytes;
}

serve(async (payload) => {
  const text = payload.toString('latin1');
  if (text.startsWith('error:')) throw Object.assign(new Error(payload.subarray(6).toString()), { code: 42 });
  if (text === 'crash') process.abort();
  if (text.startsWith('sleep:')) await new Promise((resolve) => setTimeout(resolve, Number(text.slice(6))));
  if (text.startsWith('big:')) return bigResult(Number(text.slice(4)));
  if (text.startsWith('print:')) console.log(payload.subarray(6).toString());
  return payload;
}, process.env.MAX_FRAME_SIZE === undefined ? {} : { maxFrameSize: Number(process.env.MAX_FRAME_SIZE) });
