// Shared by the benchmarks: interleaved rounds, medians, paired ratios, markdown tables, timing
// loops, C baselines compiled on the fly with the system compiler, and /proc readings.
//
// A bench script prints markdown on stdout (run.mjs copies it into docs/benchmarks.md) and
// anything else on stderr.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const quick = process.argv.includes('--quick');
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** Our package as built in dist/ (`npm run build` first), loaded as a user would load it. */
export function loadOurs(subpath = 'index.js') {
  return createRequire(import.meta.url)(path.join(repoRoot, 'dist', subpath));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The nearest-rank percentile (p in 0-100) of values. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// C baselines are built in a temporary folder of this bench process, not under build/: a
// `node-gyp rebuild` during a run would delete them there.
let cBuildDirectory;
const compiled = new Map();

/** Compiles `source` (relative to the repo) with `cc -O2` once per bench process; returns the binary. */
export function compileC(name, source = `scripts/bench/c/${name}.c`) {
  if (compiled.has(source)) return compiled.get(source);
  if (cBuildDirectory === undefined) {
    cBuildDirectory = mkdtempSync(path.join(os.tmpdir(), 'process-spawner-bench-'));
    process.once('exit', () => rmSync(cBuildDirectory, { recursive: true, force: true }));
  }
  const binary = path.join(cBuildDirectory, name);
  execFileSync('cc', ['-O2', '-Wall', '-o', binary, path.join(repoRoot, source)]);
  compiled.set(source, binary);
  return binary;
}

/** Runs a C baseline that prints one number (its own measurement) and returns that number. */
export function runC(binary, args) {
  return Number(execFileSync(binary, args.map(String), { encoding: 'utf8' }));
}

/**
 * Runs every variant once per round, in A B C A B C order, after `warmups` rounds that are not
 * kept, so a drift in the machine's load hits every variant alike. A variant's `run()` returns
 * its measurement for the round: a number, or an object of named numbers (see table's `metric`).
 * Accepts `interleave(variants, rounds)` too.
 */
export async function interleave(variants, options) {
  const { rounds, warmups = 1 } = typeof options === 'number' ? { rounds: options } : options;
  const samples = new Map(variants.map((variant) => [variant.name, []]));
  for (let round = -warmups; round < rounds; round++) {
    for (const variant of variants) {
      const sample = await variant.run();
      if (round >= 0) samples.get(variant.name).push(sample);
    }
  }
  return samples;
}

/**
 * Markdown table of samples from interleave(): the median, min-max and, per peer, the speed
 * ratio against that peer, taken round by round (the peer ran in the same round) and then the
 * median of those. The ratio always reads "times faster than the peer", whatever the unit:
 * peer/this for a lower-is-better metric (µs), this/peer for a higher-is-better one (MB/s).
 *
 * options: unit (the column's label), better ('lower' | 'higher'), peers (variant names),
 * metric (the key when samples are objects), digits, extra (more columns: { metric, label,
 * digits }, shown as the median of rounds, no ratio).
 */
export function table(samples, options = {}) {
  const { unit = 'µs/op', better = 'lower', peers = [], metric, digits = 1, extra = [] } = options;
  const pick = (key) => (sample) => (key === undefined ? sample : sample[key]);
  const valuesOf = (name, key = metric) => samples.get(name).map(pick(key));
  const speedRatio = better === 'lower' ? (value, peer) => peer / value : (value, peer) => value / peer;
  const lines = [
    `| variant | median ${unit} | min-max | ${[...extra.map((column) => column.label), ...peers.map((peer) => `speed vs ${peer}`)].join(' | ')} |`,
    `|${' --- |'.repeat(3 + extra.length + peers.length)}`,
  ];
  for (const name of samples.keys()) {
    const values = valuesOf(name);
    const extras = extra.map((column) => format(median(valuesOf(name, column.metric)), column.digits ?? digits));
    const ratios = peers.map((peer) => {
      const peerValues = valuesOf(peer);
      return name === peer ? '1×' : `${median(values.map((value, i) => speedRatio(value, peerValues[i]))).toFixed(2)}×`;
    });
    const range = `${format(Math.min(...values), digits)}-${format(Math.max(...values), digits)}`;
    lines.push(`| ${name} | ${format(median(values), digits)} | ${range} | ${[...extras, ...ratios].join(' | ')} |`);
  }
  return lines.join('\n');
}

function format(value, digits) {
  if (!Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The paragraph every table gets under it: how to read the ratios. */
export function ratioNote(rounds) {
  return (
    `Median of ${rounds} interleaved rounds after a warm-up round. "speed vs X" is how many times ` +
    'faster the row is than X (above 1× = faster), the median of the per-round ratios.'
  );
}

/** Microseconds per call of `once` (async), called `count` times one after the other. */
export async function timeSequential(count, once) {
  const start = performance.now();
  for (let i = 0; i < count; i++) await once();
  return ((performance.now() - start) * 1000) / count;
}

/** Microseconds of wall time per call when `count` calls of `once` run `concurrency` at a time. */
export async function timeInFlight(count, concurrency, once) {
  let started = 0;
  const lane = async () => {
    while (started < count) {
      started++;
      await once();
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return ((performance.now() - start) * 1000) / count;
}

/**
 * Runs `body` (async) and returns its wall time and the CPU time this process spent in it
 * (user + system), both in microseconds.
 */
export async function measureCpu(body) {
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await body();
  const wallMicros = (performance.now() - start) * 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { wallMicros, cpuMicros: cpu.user + cpu.system };
}

/** Buffers of `bytes` in total, every page written, so the parent's memory is really resident. */
export function holdResidentBuffers(bytes, chunk = 64 * MiB) {
  const buffers = [];
  for (let left = bytes; left > 0; left -= chunk) buffers.push(Buffer.alloc(Math.min(chunk, left), 0x5a));
  return buffers;
}

/** Pids of this process's live children (from /proc, so it sees children of any library). */
export function childPids() {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the ")" that closes the command name: state, ppid, ...
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid && state !== 'Z') pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** VmRSS of a process in KiB, or null if it is gone. */
export function rssKiB(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** A copy of process.env without the named variables. */
export function envWithout(...names) {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

export function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / GiB)} GiB, Linux ${os.release()}, Node ${process.version}`;
}

/** The 1, 5 and 15 minute load averages, as "1.02 0.80 0.65". */
export function loadAverage() {
  return os.loadavg().map((load) => load.toFixed(2)).join(' ');
}
