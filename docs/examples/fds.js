// The fds a program gets, with closeFds on (the default) and off: starts `sleep` both ways and
// prints `ls -l /proc/<pid>/fd` of each (docs/exercises.md).
const { run, spawn } = require('process-spawner');

async function main() {
  for (const closeFds of [true, false]) {
    const child = spawn('sleep', ['30'], { closeFds, stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 100)); // let it exec
    const { stdout } = await run('ls', ['-l', `/proc/${child.pid}/fd`]);
    const fds = stdout.split('\n').filter((line) => line.includes('->')).map((line) => line.split(' ').slice(-3).join(' '));
    console.log(`closeFds ${closeFds}: ${fds.join(' | ')}`);
    child.kill('SIGKILL');
    await child.exited;
  }
}

main();
