// The command against xargs -P 2 and GNU parallel (when installed), -j 2 each: 2,000 runs of
// `true`, and 200 runs of 1 MB of output each (read in full by the shell pipeline, to /dev/null).
// Rounds are interleaved; the table gives medians and the ratio to xargs.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, quick, repoRoot } from './lib.mjs';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // adds ~80 ms to each node start in this sandbox
const rounds = quick ? 1 : 3;
const hasParallel = spawnSync('sh', ['-c', 'command -v parallel'], { env }).status === 0;

const workloads = [
  { name: `${quick ? 200 : 2000} runs of true`, count: quick ? 200 : 2000, command: 'true' },
  { name: `${quick ? 20 : 200} runs printing 1 MB`, count: quick ? 20 : 200, command: 'head -c 1000000 /dev/zero' },
];
const tools = [
  { name: 'process-spawner -j 2', line: (w) => `seq ${w.count} | "${process.execPath}" "${cli}" -j 2 -n ${w.count} '${w.command}' > /dev/null` },
  // xargs appends the argument: `true 1` is fine, head needs sh -c to drop it ($0).
  { name: 'xargs -P 2', line: (w) => `seq ${w.count} | xargs -P 2 -n 1 ${w.command === 'true' ? 'true' : `sh -c '${w.command}'`} > /dev/null` },
  // parallel appends the argument too; after `#` the shell reads it as a comment.
  ...(hasParallel ? [{ name: 'GNU parallel -j 2', line: (w) => `seq ${w.count} | parallel --will-cite -j 2 '${w.command} #' > /dev/null` }] : []),
];

function time(line) {
  const start = performance.now();
  const result = spawnSync('sh', ['-c', line], { env, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${line}: exit ${result.status}`);
  return performance.now() - start;
}

const lines = ['## The command against xargs and GNU parallel', '', `Medians of ${rounds} interleaved rounds.${hasParallel ? '' : ' GNU parallel is not installed: skipped.'}`, ''];
lines.push(`| workload | ${tools.map((t) => t.name).join(' | ')} | process-spawner / xargs |`, `|---|${tools.map(() => '---:').join('|')}|---:|`);
for (const workload of workloads) {
  const samples = tools.map(() => []);
  for (let round = 0; round < rounds; round++) tools.forEach((tool, i) => samples[i].push(time(tool.line(workload))));
  const medians = samples.map(median);
  lines.push(`| ${workload.name} | ${medians.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(' | ')} | ${(medians[0] / medians[1]).toFixed(2)} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
