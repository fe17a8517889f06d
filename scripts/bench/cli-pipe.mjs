// --pipe throughput on a 1 GiB input (100-byte lines) cut into 1 MiB blocks, each counted by
// `wc -l`, 2 at once: the commands against GNU parallel --pipe and against doing it by hand
// (split into 1 MiB files of whole lines, then xargs -P 2). --pipepart on the same file, ours
// and parallel's, as extra rows. Every variant's line counts are checked.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { envWithout, GiB, interleave, MiB, quick, repoRoot, table } from './lib.mjs';

const cli = path.join(repoRoot, 'dist', 'cli', 'index.js');
const parallelCli = path.join(repoRoot, 'dist', 'cli', 'parallel-main.js');
const env = envWithout('NODE_EXTRA_CA_CERTS');
const rounds = quick ? 1 : 3;
const bytes = quick ? 64 * MiB : GiB;
const lineBytes = 100;
const hasParallel = spawnSync('sh', ['-c', 'parallel --version | grep -q "GNU parallel"'], { env }).status === 0;

const directory = mkdtempSync(path.join(os.tmpdir(), 'process-spawner-pipe-bench-'));
process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
const input = path.join(directory, 'input');
const expectedLines = Math.floor(bytes / lineBytes);
const made = spawnSync('sh', ['-c', `yes '${'x'.repeat(lineBytes - 1)}' | head -c ${expectedLines * lineBytes} > "${input}"`], { env });
if (made.status !== 0) throw new Error(`cannot make the input: ${made.stderr}`);

const sumLines = `awk '{ s += $1 } END { print s }'`;
const variants = [
  { name: 'process-spawner --pipe', line: `"${process.execPath}" "${cli}" --pipe -j 2 --block 1M 'wc -l' < "${input}" | ${sumLines}` },
  { name: 'process-spawner-parallel --pipe', line: `"${process.execPath}" "${parallelCli}" --pipe -j 2 --block 1M 'wc -l' < "${input}" | ${sumLines}` },
  { name: 'split + xargs -P 2', line: `rm -rf "${directory}/parts" && mkdir "${directory}/parts" && split -C 1M -a 5 "${input}" "${directory}/parts/p" && ls "${directory}"/parts/p* | xargs -P 2 -n 1 sh -c 'wc -l < "$0"' | ${sumLines}` },
  ...(hasParallel ? [{ name: 'GNU parallel --pipe', line: `parallel --will-cite --pipe -j 2 --block 1M 'wc -l' < "${input}" | ${sumLines}` }] : []),
  { name: 'process-spawner-parallel --pipepart', line: `"${process.execPath}" "${parallelCli}" --pipepart -a "${input}" -j 2 --block 1M 'wc -l' | ${sumLines}` },
  ...(hasParallel ? [{ name: 'GNU parallel --pipepart', line: `parallel --will-cite --pipepart -a "${input}" -j 2 --block 1M 'wc -l' | ${sumLines}` }] : []),
];

/** MB/s through `line`, whose output (the summed line count) must be the input's line count. */
function throughput(line) {
  const start = performance.now();
  const result = spawnSync('sh', ['-c', line], { env, encoding: 'utf8' });
  const secondsTaken = (performance.now() - start) / 1000;
  if (result.status !== 0 || Number(result.stdout.trim()) !== expectedLines) {
    throw new Error(`${line}: exit ${result.status}, counted ${result.stdout.trim()} lines of ${expectedLines}: ${result.stderr}`);
  }
  return (expectedLines * lineBytes) / 1e6 / secondsTaken;
}

const samples = await interleave(variants.map((variant) => ({ name: variant.name, run: () => throughput(variant.line) })), { rounds, warmups: quick ? 0 : 1 });
const peers = ['split + xargs -P 2', ...(hasParallel ? ['GNU parallel --pipe'] : [])];
process.stdout.write(
  [
    `### --pipe: ${bytes / MiB} MiB of ${lineBytes}-byte lines, 1 MiB blocks, \`wc -l\` on each, 2 at once`,
    '',
    hasParallel ? '' : 'GNU parallel is not installed: its rows are skipped.\n',
    table(samples, { unit: 'MB/s', better: 'higher', peers, digits: 0 }),
    '',
    `Median of ${rounds} interleaved rounds${quick ? '' : ' after a warm-up round'}; min-max is the spread of the rounds. "speed vs X" is the median of the per-round throughput ratios. ` +
      'split + xargs writes the parts to disk first (in the same temp directory), as one would by hand; its time includes split.',
    'Targets (issue 20): --pipe at least 3× the throughput of `parallel --pipe` (speed vs GNU parallel ≥ 3×), and within 1.5× of split + xargs (speed vs split + xargs ≥ 0.67×).',
    '',
  ].join('\n'),
);
