// The commands against xargs -P 2 and GNU parallel (when installed), -j 2 each: 2,000 runs of
// `true`, and 200 runs of 1 MB of output each (read in full by the shell pipeline, to /dev/null).
// process-spawner and process-spawner-parallel (the GNU-parallel-compatible command) both run.
// Rounds are interleaved; the ratios are taken round by round against the peers of the same round.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { envWithout, interleave, quick, repoRoot, table } from './lib.mjs';

const cli = path.join(repoRoot, 'dist', 'cli', 'index.js');
const parallelCli = path.join(repoRoot, 'dist', 'cli', 'parallel-main.js');
const env = envWithout('NODE_EXTRA_CA_CERTS'); // adds ~80 ms to each node start in this sandbox
const rounds = quick ? 1 : 3;
const hasParallel = spawnSync('sh', ['-c', 'parallel --version | grep -q "GNU parallel"'], { env }).status === 0;

const workloads = [
  { name: `${quick ? 200 : 2000} runs of true`, count: quick ? 200 : 2000, command: 'true' },
  { name: `${quick ? 20 : 200} runs printing 1 MB`, count: quick ? 20 : 200, command: 'head -c 1000000 /dev/zero' },
];
// Each appends its argument: `true 1` is fine; head needs it dropped (`#` makes it a comment in a
// shell line, and xargs' sh -c takes it as $0). `true` needs no shell, and none of them starts one for it.
const tools = [
  { name: 'process-spawner -j 2', line: (w) => `seq ${w.count} | "${process.execPath}" "${cli}" -j 2 -n ${w.count} '${w.command}' > /dev/null` },
  { name: 'process-spawner-parallel -j 2', line: (w) => `seq ${w.count} | "${process.execPath}" "${parallelCli}" -j 2 '${w.command === 'true' ? 'true' : `${w.command} #`}' > /dev/null` },
  { name: 'xargs -P 2', line: (w) => `seq ${w.count} | xargs -P 2 -n 1 ${w.command === 'true' ? 'true' : `sh -c '${w.command}'`} > /dev/null` },
  ...(hasParallel ? [{ name: 'GNU parallel -j 2', line: (w) => `seq ${w.count} | parallel --will-cite -j 2 '${w.command === 'true' ? 'true' : `${w.command} #`}' > /dev/null` }] : []),
];

function seconds(line) {
  const start = performance.now();
  const result = spawnSync('sh', ['-c', line], { env, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${line}: exit ${result.status}`);
  return (performance.now() - start) / 1000;
}

const peers = ['xargs -P 2', ...(hasParallel ? ['GNU parallel -j 2'] : [])];
const lines = ['### The commands against xargs and GNU parallel', ''];
if (!hasParallel) lines.push('GNU parallel is not installed: its rows are skipped.', '');
for (const workload of workloads) {
  const samples = await interleave(
    tools.map((tool) => ({ name: tool.name, run: () => seconds(tool.line(workload)) })),
    { rounds, warmups: 0 },
  );
  lines.push(`${workload.name}, wall time:`, '', table(samples, { unit: 's', peers, digits: 2 }), '');
}
lines.push(
  `Median of ${rounds} interleaved rounds (no warm-up round: each round is already thousands of runs). ` +
    '"speed vs X" is how many times faster the row is than X, the median of the per-round ratios; min-max is the spread of the rounds.',
  'Targets (issue 20): 2,000 runs of `true` at -j 2 in at most the time of `xargs -P 2` (speed vs xargs ≥ 1×), and at least 3× faster than GNU parallel.',
);
process.stdout.write(`${lines.join('\n')}\n`);
