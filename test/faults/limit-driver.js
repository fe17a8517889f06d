// Driven by test/faults/limits.test.ts under a real resource limit: spawns long-running children
// until the limit stops a spawn, then releases them and spawns again, once per spawn method.
//   node limit-driver.js nofile   (started under prlimit --nofile=64)
//   node limit-driver.js nproc    (started as an unprivileged uid; lowers its own RLIMIT_NPROC)
// Prints one JSON line: per method, how many children were running, the error that stopped the
// next spawn, whether a spawn worked after the release, and the fds and children left.
'use strict';
const fs = require('node:fs');
const { spawn, run } = require('process-spawner');

const MAX_CHILDREN = 200;

function fdList() {
  return fs.readdirSync('/proc/self/fd').sort().join(',');
}

function childCount() {
  let count = 0;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) count++;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}

/** Tasks (threads count) that belong to this real uid, the number RLIMIT_NPROC is checked against. */
function tasksOfMyUid() {
  const uid = process.getuid();
  let tasks = 0;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = fs.readFileSync(`/proc/${name}/status`, 'utf8');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)[1]) === uid) tasks += Number(/^Threads:\s+(\d+)/m.exec(status)[1]);
    } catch {
      // gone meanwhile
    }
  }
  return tasks;
}

// A child that lives until we let it go: cat holds 3 pipes (nofile); sleep holds a task (nproc).
function startHolder(kind, method) {
  if (kind === 'nofile') return spawn('cat', [], { spawnMethod: method, stdio: ['pipe', 'ignore', 'inherit'] });
  return spawn('sleep', ['60'], { spawnMethod: method, stdio: 'ignore' });
}

async function release(kind, holders) {
  for (const child of holders) {
    if (kind === 'nofile') child.stdin.end();
    else child.kill('SIGKILL');
  }
  await Promise.all(holders.map((child) => child.exited));
}

async function untilSettled(fdsBefore) {
  for (let i = 0; i < 200 && (childCount() > 0 || fdList() !== fdsBefore); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function fillAndRecover(kind, method) {
  const fdsBefore = fdList();
  const holders = [];
  let error = null;
  while (error === null && holders.length < MAX_CHILDREN) {
    try {
      holders.push(startHolder(kind, method));
    } catch (thrown) {
      error = { name: thrown.name, message: thrown.message, code: thrown.code, syscall: thrown.syscall, childStep: thrown.childStep };
    }
  }
  const running = holders.length;
  await release(kind, holders);
  const next = await run('/bin/echo', ['next'], { spawnMethod: method });
  await untilSettled(fdsBefore);
  return { method, running, error, next: next.stdout, fdsLeft: fdList() !== fdsBefore, children: childCount() };
}

async function main() {
  const kind = process.argv[2];
  await run('/bin/true'); // opens the reaper's self-pipe, which stays for the process's life
  if (kind === 'nproc') {
    // Room for three more tasks of this uid, then a spawn must fail.
    const limit = tasksOfMyUid() + 3;
    await run('prlimit', [`--pid=${process.pid}`, `--nproc=${limit}:${limit}`]);
  }
  const results = [];
  for (const method of ['fork', 'vfork']) results.push(await fillAndRecover(kind, method));
  console.log(JSON.stringify(results));
}

main();
