// Shared by the benchmarks: interleaved rounds, medians, paired ratios, and C baselines compiled
// on the fly with the system compiler.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const quick = process.argv.includes('--quick');

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Compiles scripts/bench/c/<name>.c once into build/bench/<name>; returns the binary's path. */
export function compileC(name) {
  const out = path.join(repoRoot, 'build', 'bench');
  mkdirSync(out, { recursive: true });
  const binary = path.join(out, name);
  execFileSync('cc', ['-O2', '-Wall', '-o', binary, path.join(repoRoot, 'scripts/bench/c', `${name}.c`)]);
  return binary;
}

/**
 * Runs every variant once per round, in A B C A B C order, after one warm-up round. Each
 * variant's `run()` returns the microseconds per operation it measured.
 */
export async function interleave(variants, rounds) {
  const samples = new Map(variants.map((variant) => [variant.name, []]));
  for (let round = -1; round < rounds; round++) {
    for (const variant of variants) {
      const perOp = await variant.run();
      if (round >= 0) samples.get(variant.name).push(perOp);
    }
  }
  return samples;
}

/** Median, min-max, and the median of the per-round ratios against `peer` (same round). */
export function table(samples, peers, unit = 'µs/op') {
  const names = [...samples.keys()];
  const header = `| variant | median ${unit} | min-max | ${peers.map((peer) => `ratio vs ${peer}`).join(' | ')} |`;
  const lines = [header, `|${' --- |'.repeat(3 + peers.length)}`];
  for (const name of names) {
    const values = samples.get(name);
    const ratios = peers.map((peer) => {
      const peerValues = samples.get(peer);
      return `${median(values.map((value, i) => value / peerValues[i])).toFixed(2)}×`;
    });
    lines.push(
      `| ${name} | ${median(values).toFixed(1)} | ${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)} | ${ratios.join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

export function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.cpus().length} cores, Linux ${os.release()}, Node ${process.version}`;
}
