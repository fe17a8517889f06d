// Driven by test/faults/inject.test.ts: runs a table of spawn scenarios, one at a time, stopping
// itself (SIGSTOP) around each faulted step so the test can attach `strace --inject` to exactly
// that step and detach before the checks. strace counts syscalls per thread from the moment it
// attaches, so `when=N` means "the Nth such call of this scenario", whatever Node did at start-up.
//   node fault-driver.js '<scenarios as JSON>'
// Prints one JSON line per event: ready, faulted (the step is over), checked (its outcome, the
// next spawn, what was left behind).
'use strict';
const fs = require('node:fs');
const { spawn } = require('process-spawner');

const scenarios = JSON.parse(process.argv[2]);
// A shared library that opens an fd without O_CLOEXEC when loaded (test/fixtures/c/leaky-library.c):
// Node marks every fd it inherits close-on-exec, so only native code can make one that closeFds
// has to close.
const inheritableFd = process.argv[3] === undefined ? null : openInheritableFd(process.argv[3]);

function openInheritableFd(library) {
  try {
    process.dlopen({ exports: {} }, library);
  } catch {
    // Not a Node module: dlopen complains after the library's constructor has run.
  }
  const O_CLOEXEC = 0o2000000;
  const flags = (fd) => parseInt(/^flags:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))[1], 8);
  return Number(Object.keys(openFds()).find((fd) => fd > 2 && (flags(fd) & O_CLOEXEC) === 0));
}

function emit(event) {
  fs.writeSync(1, `${JSON.stringify(event)}\n`);
}

/** fd number -> what it points to. */
function openFds() {
  const fds = {};
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      fds[name] = fs.readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      // the directory fd readdirSync used, closed by now
    }
  }
  return fds;
}

/** Our child processes, zombies included, as "pid state command". */
function children() {
  const found = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === process.pid) found.push(`${name} ${fields[0]} ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`);
  }
  return found;
}

function errorFields(error) {
  const fields = { name: error.name, message: error.message };
  for (const key of ['code', 'errno', 'syscall', 'path', 'childStep', 'exitCode']) {
    if (error[key] !== undefined) fields[key] = error[key];
  }
  if (error.pid !== undefined) fields.reaped = !fs.existsSync(`/proc/${error.pid}`);
  return fields;
}

function stopHere() {
  process.kill(process.pid, 'SIGSTOP');
}

function readAll(stream) {
  if (stream === null) return Promise.resolve('');
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (chunk) => (text += chunk));
    // 'close', not 'end': the fd is closed by then, so the leak check sees the real count.
    stream.on('close', () => resolve(text));
  });
}

/**
 * The step under the fault: one spawn as the scenario describes it, and for most scenarios the
 * whole life of the child. Returns what the caller saw (the error thrown, or how the child ended,
 * its output, what a stdin write reported), and for a `listFds` scenario a `finish` to run once
 * strace is gone: the driver's own reads of /proc must not meet the injected faults.
 */
async function faultedStep(scenario) {
  const options = { spawnMethod: scenario.method, ...scenario.options };
  // An argument too long for execve is made here: in the scenario it would not fit our own argv.
  const args = scenario.argBytes === undefined ? scenario.args ?? [] : ['x'.repeat(scenario.argBytes)];
  let child;
  const startedAt = performance.now();
  try {
    child = spawn(scenario.file, args, options);
  } catch (error) {
    return { outcome: { error: errorFields(error), spawnMs: performance.now() - startedAt } };
  }
  const outcome = { pid: child.pid };
  const run = () => runToExit(child, scenario, outcome);
  if (scenario.listFds) {
    return {
      outcome,
      finish: async () => {
        outcome.childFds = await fdsOfRunningChild(child.pid, scenario.file);
        outcome.inheritableFd = inheritableFd;
        await run();
      },
    };
  }
  await run();
  return { outcome };
}

async function runToExit(child, scenario, outcome) {
  const output = readAll(child.stdout);
  let exit;
  if (scenario.input !== undefined) {
    outcome.stdinError = await writeAndEnd(child.stdin, scenario.input);
    exit = await child.exited;
  } else if (scenario.inputAfterStdinClosed !== undefined) {
    // The program has closed its stdin and runs on: the write meets a pipe with no reader.
    const stdin = child.stdin;
    while (fs.existsSync(`/proc/${child.pid}/fd/0`)) await new Promise((resolve) => setTimeout(resolve, 2));
    outcome.stdinError = await writeAndEnd(stdin, scenario.inputAfterStdinClosed);
    child.kill('SIGTERM');
    exit = await child.exited;
  } else if (scenario.inputAfterExit !== undefined) {
    // Taken before the exit: a stdin nobody asked for is closed when the child exits.
    const stdin = child.stdin;
    exit = await child.exited;
    outcome.stdinError = await writeAndEnd(stdin, scenario.inputAfterExit);
  } else {
    child.stdin?.end();
    exit = await child.exited;
  }
  outcome.exitCode = exit.exitCode;
  outcome.signal = exit.signal;
  outcome.stdout = await output;
}

/**
 * The fds of a program that waits on its stdin (cat), once it is waiting: after exec, and after
 * the dynamic loader has closed the files it opened to load libc.
 */
async function fdsOfRunningChild(pid, program) {
  const list = () => fs.readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b).join(',');
  for (let i = 0; i < 1000; i++) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [command, state] = [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), stat[stat.lastIndexOf(')') + 2]];
    if (command === program && state === 'S' && /pipe_read/.test(wchan(pid))) return list().split(',').map(Number);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`${program} (pid ${pid}) never came to wait on its stdin`);
}

function wchan(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/wchan`, 'utf8');
  } catch {
    return '';
  }
}

/** Writes to the child's stdin and ends it; resolves with the write's error, or null. */
function writeAndEnd(stdin, input) {
  return new Promise((resolve) => {
    const settle = (error) => resolve(error ? { code: error.code, syscall: error.syscall } : null);
    stdin.once('error', settle);
    stdin.end(input, settle);
  });
}

async function nextSpawnWorks(method) {
  const child = spawn('/bin/echo', ['next'], { spawnMethod: method, stdio: ['ignore', 'pipe', 'ignore'] });
  const [stdout, exit] = await Promise.all([readAll(child.stdout), child.exited]);
  return stdout === 'next\n' && exit.exitCode === 0;
}

function changedFds(before) {
  const after = openFds();
  return Object.keys({ ...before, ...after })
    .filter((fd) => before[fd] !== after[fd])
    .map((fd) => `${fd}: ${before[fd] ?? '-'} -> ${after[fd] ?? '-'}`);
}

/** Gives exits and stream closes up to a second to land (they do on the event loop), then looks. */
async function leftBehind(fdsBefore) {
  for (let i = 0; i < 100 && (children().length > 0 || changedFds(fdsBefore).length > 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { changedFds: changedFds(fdsBefore), children: children() };
}

async function main() {
  // The reaper's self-pipe is opened by the first spawn and lives as long as the process.
  await nextSpawnWorks('fork');
  for (const [index, scenario] of scenarios.entries()) {
    const fdsBefore = openFds();
    emit({ event: 'ready', index });
    stopHere(); // the test attaches strace with this scenario's injection, then SIGCONTs us
    const { outcome, finish } = await faultedStep(scenario);
    emit({ event: 'faulted', index });
    stopHere(); // the test detaches strace
    await finish?.();
    const next = await nextSpawnWorks(scenario.method);
    emit({ event: 'checked', index, outcome, next, ...(await leftBehind(fdsBefore)) });
  }
}

main();
