// A zombie appears and disappears: the child exits at once, but is reaped only when our event
// loop runs. Prints /proc/<pid>/stat's state before and after (docs/exercises.md).
const fs = require('node:fs');
const { spawn } = require('process-spawner');

const state = (pid) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return 'gone';
  }
};
const child = spawn('/bin/true', [], { stdio: 'ignore' });
// Busy for 200 ms: the event loop cannot reap, so the exited child stays a zombie.
const until = Date.now() + 200;
while (Date.now() < until);
console.log(`before reaping: ${state(child.pid)}`);
child.exited.then(() => console.log(`after reaping: ${state(child.pid)}`));
