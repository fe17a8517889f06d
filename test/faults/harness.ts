// Runs test/faults/fault-driver.js and injects one fault per scenario with strace, attached only
// around the faulted step: the driver stops itself (SIGSTOP) before and after that step, we
// attach `strace -f --inject=...` to the stopped process and continue it, then detach. strace
// counts invocations per syscall and per thread from its attach, so `when=2` on pipe2 is the
// second pipe2 of this spawn, not of Node's start-up. The trace of the step is kept, to check
// that the fault landed on the call it was meant for.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn, type SpawnOptions, type SpawnMethod, type Subprocess } from '../../src/index';
import { parseStrace, type TraceEntry } from '../helpers/strace';

const DRIVER = path.join(__dirname, 'fault-driver.js');

export interface Injection {
  /** A syscall or a set strace knows (`clone,clone3`). */
  syscall: string;
  error: string;
  /** strace's `when=` expression; every call when omitted. */
  when?: string;
}

/** What the driver does under the fault. */
export interface Step {
  file: string;
  args?: string[];
  options?: Omit<SpawnOptions, 'spawnMethod'>;
  /** Written to stdin while the program runs, then stdin is ended. */
  input?: string;
  /** Written to stdin once the program has closed its stdin (and runs on); then it is SIGTERMed. */
  inputAfterStdinClosed?: string;
  /** Written to stdin once the program has exited. */
  inputAfterExit?: string;
  /** One argument of this many bytes instead of `args` (execve's limit is 128 KiB per string). */
  argBytes?: number;
  /** Read /proc/<pid>/fd of the running program before its stdin is closed. */
  listFds?: boolean;
}

export interface Scenario extends Step {
  method: SpawnMethod;
  inject: Injection[];
  /** Follow the children too (strace -f), for faults in the child; else only the main thread. */
  traceChildren?: boolean;
  /** Restricts tracing, and so the injection, to calls that touch this path (strace -P). */
  tracePath?: string;
}

export interface ScenarioOutcome {
  error?: Record<string, unknown>;
  /** How long the failed spawn() call blocked the driver. */
  spawnMs?: number;
  pid?: number;
  exitCode?: number | null;
  signal?: string | null;
  stdout?: string;
  stdinError?: { code: string; syscall: string } | null;
  childFds?: number[];
  /** The driver's fd without FD_CLOEXEC, which only closeFds keeps from the program. */
  inheritableFd?: number | null;
}

export interface ScenarioResult {
  outcome: ScenarioOutcome;
  /** A spawn after the fault, with strace detached, ran and printed what it should. */
  next: boolean;
  /** fds of the driver that differ from before the scenario. */
  changedFds: string[];
  /** Child processes of the driver left after it (zombies or running). */
  children: string[];
  /** The calls strace injected a fault into. */
  injected: TraceEntry[];
  trace: TraceEntry[];
}

type DriverEvent = { event: 'ready' | 'faulted' | 'checked'; index: number } & Record<string, unknown>;

/** Reads the driver's JSON lines as they come. */
class EventReader {
  private buffered = '';
  private readonly events: DriverEvent[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;

  constructor(driver: Subprocess, private readonly stderr: () => string) {
    driver.stdout?.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString();
      let newline;
      while ((newline = this.buffered.indexOf('\n')) >= 0) {
        this.events.push(JSON.parse(this.buffered.slice(0, newline)) as DriverEvent);
        this.buffered = this.buffered.slice(newline + 1);
      }
      this.waiter?.();
    });
    driver.stdout?.on('end', () => {
      this.ended = true;
      this.waiter?.();
    });
  }

  async next(event: DriverEvent['event'], index: number, timeoutMs = 15_000): Promise<DriverEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.shift();
      if (found !== undefined) {
        if (found.event !== event || found.index !== index) {
          throw new Error(`expected ${event} ${index}, got ${JSON.stringify(found)}`);
        }
        return found;
      }
      if (this.ended) throw new Error(`the driver ended before ${event} ${index}; stderr:\n${this.stderr()}`);
      if (Date.now() > deadline) throw new Error(`no ${event} ${index} from the driver; stderr:\n${this.stderr()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
  }
}

/** The scheduler state letter of /proc/<pid>/stat: R, S, T (stopped), t (stopped under ptrace). */
function processState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
  } catch {
    return 'gone';
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function stopped(pid: number): boolean {
  const state = processState(pid);
  if (state === 'gone') throw new Error(`process ${pid} is gone`);
  return state === 'T' || state === 't';
}

/** `tracer` traces the main thread of `pid`, and with `everyThread` all of them. */
function traced(pid: number, tracer: number, everyThread: boolean): boolean {
  const threads = everyThread ? readdirSync(`/proc/${pid}/task`) : [String(pid)];
  return threads.every((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8').includes(`\nTracerPid:\t${tracer}\n`);
    } catch {
      return true; // a thread that ended
    }
  });
}

function straceArguments(scenario: Scenario, pid: number, traceFile: string): string[] {
  const syscalls = scenario.inject.map((injection) => injection.syscall).join(',');
  const injections = scenario.inject.map(
    ({ syscall, error, when }) => `--inject=${syscall}:error=${error}${when === undefined ? '' : `:when=${when}`}`,
  );
  const pathFilter = scenario.tracePath === undefined ? [] : ['-P', scenario.tracePath];
  const follow = scenario.traceChildren === true ? ['-f'] : [];
  // The calls injected into, plus the pipes and forks around them, for the checks.
  const traced = `trace=${[syscalls, 'pipe2,clone,clone3,execve,read,write,wait4,waitid,pidfd_open'].filter(Boolean).join(',')}`;
  return [...follow, '-qq', '-o', traceFile, '-e', traced, ...injections, ...pathFilter, '-p', String(pid)];
}

/**
 * How many times strace saw the driver's main thread enter a group-stop. A traced process shows
 * 't' in /proc both at the SIGSTOP's signal-delivery-stop and once it is really stopped; strace
 * detaching at the first can let the stop go, and the driver would run on untraced with nobody to
 * SIGCONT it. strace's "--- stopped by SIGSTOP ---" line is written at the second.
 */
function groupStops(traceFile: string, pid: number): number {
  let text: string;
  try {
    text = readFileSync(traceFile, 'utf8');
  } catch {
    return 0;
  }
  // Without -f strace writes the one tracee's lines bare; with -f each starts with its tid.
  const stop = new RegExp(`^(${pid} +)?--- stopped by SIGSTOP ---$`);
  return text.split('\n').filter((line) => stop.test(line)).length;
}

async function faultOneStep(driver: Subprocess, scenario: Scenario, traceFile: string, events: EventReader, index: number) {
  await events.next('ready', index);
  await until('the driver has stopped itself', () => stopped(driver.pid));
  const strace = spawn('strace', straceArguments(scenario, driver.pid, traceFile), { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await until('strace has attached', () => traced(driver.pid, strace.pid, scenario.traceChildren === true));
    const stopsBefore = groupStops(traceFile, driver.pid);
    process.kill(driver.pid, 'SIGCONT');
    await events.next('faulted', index);
    await until(`the driver has stopped after step ${index} (trace: ${traceFile})`, () => groupStops(traceFile, driver.pid) > stopsBefore);
  } finally {
    strace.kill('SIGINT'); // strace detaches from every thread and exits
    await strace.exited;
  }
}

// Without -f, strace writes one tracee's lines without its pid: put it back for parseStrace.
function readTrace(traceFile: string, scenario: Scenario, pid: number): TraceEntry[] {
  const text = readFileSync(traceFile, 'utf8');
  if (scenario.traceChildren === true) return parseStrace(text);
  return parseStrace(text.split('\n').map((line) => (line === '' ? line : `${pid}  ${line}`)).join('\n'));
}

/** Runs the scenarios in one driver process, one strace attach per scenario. */
export async function runScenarios(scenarios: readonly Scenario[], leakyLibrary?: string): Promise<ScenarioResult[]> {
  const directory = mkdtempSync(path.join(tmpdir(), 'process-spawner-faults-'));
  const driverArgs = [DRIVER, JSON.stringify(scenarios), ...(leakyLibrary === undefined ? [] : [leakyLibrary])];
  const driver = spawn(process.execPath, driverArgs, { cwd: path.join(__dirname, '..', '..') });
  let stderr = '';
  driver.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const events = new EventReader(driver, () => stderr);
  const results: ScenarioResult[] = [];
  try {
    for (const [index, scenario] of scenarios.entries()) {
      const traceFile = path.join(directory, `trace-${index}.txt`);
      await faultOneStep(driver, scenario, traceFile, events, index);
      await until('the driver is stopped and untraced', () => processState(driver.pid) === 'T');
      process.kill(driver.pid, 'SIGCONT');
      const checked = await events.next('checked', index);
      const trace = readTrace(traceFile, scenario, driver.pid);
      results.push({
        outcome: checked['outcome'] as ScenarioOutcome,
        next: checked['next'] as boolean,
        changedFds: checked['changedFds'] as string[],
        children: checked['children'] as string[],
        injected: trace.filter((entry) => entry.result.endsWith('(INJECTED)')),
        trace,
      });
    }
    driver.stdin?.end();
    await driver.exited;
  } finally {
    if (processState(driver.pid) !== 'gone') {
      driver.kill('SIGKILL');
      process.kill(driver.pid, 'SIGCONT');
      await driver.exited;
    }
    if (process.env['KEEP_FAULT_TRACES'] === undefined) rmSync(directory, { recursive: true, force: true });
  }
  return results;
}
