// A pool of two workers: READY, one task, one worker killed with SIGKILL and replaced, close().
// Prints the supervisor's events as they come (docs/strace.md, docs/exercises.md).
//   node docs/examples/pool-crash.js
const path = require('node:path');
const { Pool } = require('process-spawner');

async function main() {
  const pool = new Pool({ command: process.execPath, args: [path.join(__dirname, 'echo-worker.js')], size: 2 });
  for (const event of ['spawn', 'ready', 'crash', 'respawn']) {
    pool.on(event, (info) => console.log(`${event} worker ${info.workerId}${info.signal ? ` ${info.signal}` : ''}`));
  }
  await pool.start();
  console.log(`result ${await pool.run('hello')}`);
  const victim = pool.stats().workers[0];
  const replaced = new Promise((resolve) => pool.once('ready', resolve));
  process.kill(victim.pid, 'SIGKILL');
  await replaced;
  await pool.close();
  console.log('closed');
}

main();
