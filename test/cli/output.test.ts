// Outputs (grouped, --line-buffer, --ungroup, --tag, --results, --keep-order), spooling, and the
// failure policy: stderr lines, --joblog and --resume, --halt, --retries, --delay, --timeout,
// exit statuses, --json, --bar/--eta.
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startCli } from '../helpers/cli';
import { expectNoLeaks } from '../helpers/leaks';

let directory: string;
beforeAll(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'cli-output-'));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

// For the tests that read the command's max RSS as its memory use: a vfork child's ru_maxrss
// starts at its parent's peak (exec keeps it), which is this test process's, not the command's;
// a fork child's starts at what the fork copied that was resident (a few MB, V8's heap is not).
const OWN_PEAK = 'fork';

// Run 1 prints a, waits, prints b; run 2 prints c at once: the modes differ in how they mix.
const MIXING = ['printf "{}a\\n"; sleep 0.3; printf "{}b\\n"', ':::', '1', '2'];

describe('outputs', () => {
  it('groups a run\'s output by default; --line-buffer and --ungroup print as it comes', () =>
    expectNoLeaks(async () => {
      expect((await cli(['-j', '2', ...MIXING])).stdout).toMatch(/^(1a\n1b\n2a\n2b\n|2a\n2b\n1a\n1b\n)$/);
      const lines = (await cli(['-j', '2', '--line-buffer', ...MIXING])).stdout.split('\n');
      expect(lines.slice(0, 2).sort()).toEqual(['1a', '2a']);
      const bytes = (await cli(['-j', '2', '-u', ...MIXING])).stdout.split('\n');
      expect(bytes.slice(0, 2).sort()).toEqual(['1a', '2a']);
    }));

  it('--keep-order keeps input order in every mode; --tag prefixes every line', () =>
    expectNoLeaks(async () => {
      const reversed = ['sleep 0.{}; echo {}x; echo {}y', ':::', '3', '1'];
      for (const mode of [[], ['--line-buffer'], ['--ungroup']]) {
        expect((await cli(['-j', '2', '-k', ...mode, ...reversed])).stdout, mode.join('')).toBe('3x\n3y\n1x\n1y\n');
      }
      expect((await cli(['-k', '--tag', 'printf "one\\ntwo"', ':::', 'a'])).stdout).toBe('a\tone\na\ttwo');
      expect((await cli(['-k', '--tag', '--line-buffer', 'echo x', ':::', 'p q'])).stdout).toBe('p q\tx p q\n');
    }));

  it('--results DIR keeps each run\'s stdout, stderr, exit status and arguments, and still prints', () =>
    expectNoLeaks(async () => {
      const results = path.join(directory, 'results');
      const run = await cli(['-k', '--results', results, 'echo out {}; echo err {} >&2; exit {}', ':::', '0', '3']);
      expect(run.stdout).toBe('out 0\nout 3\n');
      expect(readFileSync(path.join(results, '2', 'stdout'), 'utf8')).toBe('out 3\n');
      expect(readFileSync(path.join(results, '2', 'stderr'), 'utf8')).toBe('err 3\n');
      expect(readFileSync(path.join(results, '2', 'exitval'), 'utf8')).toBe('3\n');
      expect(readFileSync(path.join(results, '1', 'args'), 'utf8')).toBe('0\n');
    }));

  it('spools a large output to an unlinked temp file instead of holding it: memory stays flat, nothing is left', () =>
    expectNoLeaks(async () => {
      const spoolRoot = mkdtempSync(path.join(directory, 'tmp-'));
      const devNull = openSync('/dev/null', 'w');
      try {
        const run = await cli(['-j', '2', '-n', '2', 'head -c 60000000 /dev/zero'], undefined, {
          stdio: ['pipe', devNull, 'pipe'],
          env: { ...process.env, TMPDIR: spoolRoot },
          spawnMethod: OWN_PEAK,
        });
        expect(run.exit.exitCode).toBe(0);
        // Two runs of 60 MB held in memory would take more than 120 MB on top of Node's own.
        expect(run.exit.rusage?.maxRssKiB).toBeLessThan(110 * 1024);
        expect(readdirSync(spoolRoot)).toEqual([]);
      } finally {
        closeSync(devNull);
      }
    }));

  it.each([['--line-buffer'], ['--ungroup']])('%s with a slow reader: the runs are not read until our stdout drains, memory stays flat', (mode) =>
    expectNoLeaks(async () => {
      // 200 MB of 100-byte lines, and a reader that reads nothing for 2 s, then all of it.
      const run = startCli([mode, '-n', '1', "yes $(printf '%099d' 0) | head -c 200000000"], { spawnMethod: OWN_PEAK });
      run.stdin?.end();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      let bytes = 0;
      for await (const chunk of run.stdout as NodeJS.ReadableStream) bytes += (chunk as Buffer).length;
      const info = await run.exited;
      expect(info.exitCode).toBe(0);
      expect(bytes).toBe(200_000_000);
      // Holding what the reader did not take would cost the whole 200 MB on top of Node's own.
      expect(info.rusage?.maxRssKiB).toBeLessThan(110 * 1024);
    }),
  );

  it('--line-buffer prints a line longer than 1 MiB before it ends, instead of holding it', () =>
    expectNoLeaks(async () => {
      const run = startCli(['--line-buffer', '-n', '1', "head -c 3000000 /dev/zero | tr '\\0' x; sleep 30"]);
      run.stdin?.end();
      let bytes = 0;
      await new Promise<void>((resolve) => {
        run.stdout?.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes >= 1024 * 1024) resolve();
        });
      });
      // SIGHUP stops the run at once.
      run.kill('SIGHUP');
      const info = await run.exited;
      expect(info.signal).toBe('SIGHUP');
    }));
});

describe('failures, logs and policy', () => {
  it('prints one stderr line per failed run (number, arguments, status or signal, pid) unless --quiet', () =>
    expectNoLeaks(async () => {
      const run = await cli(['-k', "sh -c 'exit $0'", ':::', '0', '3']);
      expect(run.stderr).toMatch(/^process-spawner: run 2 \(3\): exit 3, pid \d+\n$/);
      const killed = await cli(['-k', 'kill -9 $$', ':::', 'x']);
      expect(killed.stderr).toMatch(/^process-spawner: run 1 \(x\): killed by SIGKILL, pid \d+\n$/);
      const quiet = await cli(['-q', 'exit 1', ':::', 'x']);
      expect(quiet.stderr).toBe('');
      expect(quiet.exit.exitCode).toBe(1);
    }));

  it('exits with the number of failed runs, 101 past 100', () =>
    expectNoLeaks(async () => {
      expect((await cli(['-q', '-j', '8', '-n', '5', 'exit 1'])).exit.exitCode).toBe(5);
      expect((await cli(['-q', '-j', '16', '-n', '102', 'false'])).exit.exitCode).toBe(101);
    }));

  it('--joblog writes GNU parallel\'s TSV with our columns; --resume skips what it lists, --resume-failed reruns failures', () =>
    expectNoLeaks(async () => {
      const joblog = path.join(directory, 'joblog.tsv');
      const marker = path.join(directory, 'ran');
      const command = `echo {} >> ${marker}; test {} != b`;
      await cli(['-q', '-j', '1', '--joblog', joblog, command, ':::', 'a', 'b']);
      const [header, ...rows] = readFileSync(joblog, 'utf8').trimEnd().split('\n');
      expect(header).toBe('Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\tUserCPU\tSystemCPU\tMaxRSS');
      const fields = rows.map((row) => row.split('\t'));
      expect(fields.map((row) => [row[0], row[6], row[7]])).toEqual([['1', '0', '0'], ['2', '1', '0']]);
      expect(fields[0]?.[8]).toContain('echo a >>');
      expect(Number(fields[0]?.[2])).toBeGreaterThan(1e9);
      expect(Number(fields[0]?.[11])).toBeGreaterThan(0);

      writeFileSync(marker, '');
      await cli(['-q', '-j', '1', '--joblog', joblog, '--resume', command, ':::', 'a', 'b', 'c']);
      expect(readFileSync(marker, 'utf8')).toBe('c\n');
      await cli(['-q', '-j', '1', '--joblog', joblog, '--resume-failed', command, ':::', 'a', 'b', 'c']);
      expect(readFileSync(marker, 'utf8')).toBe('c\nb\n');
    }));

  it('--halt now,fail=1 kills the running runs; soon,fail=1 lets them end; now,success=1 stops at the first success', () =>
    expectNoLeaks(async () => {
      const now = await cli(['--json', '-j', '2', '--halt', 'now,fail=1', 'sleep {}; exit {}', ':::', '5', '0.2', '9']);
      const nowSummary = JSON.parse(now.stdout);
      expect(nowSummary.halted).toBe(true);
      expect(nowSummary.results.map((r: { seq: number; signal: string | null }) => [r.seq, r.signal])).toEqual([[1, 'SIGTERM'], [2, null]]);
      expect(nowSummary.wallMs).toBeLessThan(4000);
      const soon = JSON.parse((await cli(['--json', '-j', '2', '--halt', 'soon,fail=1', 'sleep {}; exit 1', ':::', '0.1', '0.5', '9'])).stdout);
      expect(soon.results.map((r: { seq: number; exitCode: number }) => [r.seq, r.exitCode])).toEqual([[1, 1], [2, 1]]);
      const success = await cli(['--json', '-j', '1', '--halt', 'now,success=1', 'exit {}', ':::', '1', '0', '1']);
      expect(JSON.parse(success.stdout).results).toHaveLength(2);
      // As parallel's man page says: success=N exits 0.
      expect(success.exit.exitCode).toBe(0);
      const percent = JSON.parse((await cli(['-q', '--json', '-j', '1', '--halt', 'now,fail=50%', 'exit {}', ':::', '1', '1', '0', '0'])).stdout);
      expect(percent.results).toHaveLength(2);
    }));

  it('--retries N makes N attempts in all, as in parallel; --delay spaces the starts', () =>
    expectNoLeaks(async () => {
      const counter = path.join(directory, 'attempts');
      writeFileSync(counter, '');
      const retried = await cli(['--json', '--retries', '3', '-n', '1', `echo x >> ${counter}; test $(wc -l < ${counter}) -ge 3`]);
      expect(JSON.parse(retried.stdout).results[0]).toMatchObject({ ok: true, attempts: 3 });
      writeFileSync(counter, '');
      const failing = await cli(['--json', '--retries', '2', '-n', '1', `echo x >> ${counter}; false`]);
      expect(JSON.parse(failing.stdout).results[0]).toMatchObject({ ok: false, attempts: 2 });
      expect(readFileSync(counter, 'utf8')).toBe('x\nx\n');
      const delayed = JSON.parse((await cli(['--json', '-j', '3', '--delay', '150ms', 'true', ':::', 'a', 'b', 'c'])).stdout);
      expect(delayed.wallMs).toBeGreaterThanOrEqual(300);
    }));

  it('--timeout takes units and a percentage of the median runtime', () =>
    expectNoLeaks(async () => {
      const units = await cli(['-k', '--timeout', '0.2s', 'sleep {}', ':::', '0', '5']);
      expect(units.stderr).toMatch(/^process-spawner: run 2 \(5\): timed out after 200 ms, ended by SIGTERM, pid \d+\n$/);
      const percent = await cli(['-j', '1', '-k', '--timeout', '300%', 'sleep {}', ':::', '0.1', '0.1', '0.1', '5']);
      expect(percent.stderr).toMatch(/run 4 \(5\): timed out after \d+ ms/);
      expect(percent.exit.exitCode).toBe(1);
    }));

  it('as in parallel: the joblog and --dry-run show the command as written (no exec of ours), a timeout is Exitval -1', () =>
    expectNoLeaks(async () => {
      const joblog = path.join(directory, 'joblog-parallel.tsv');
      await cli(['-k', '--joblog', joblog, '--timeout', '300ms', 'cd / && sleep {}', ':::', '0', '5']);
      const rows = readFileSync(joblog, 'utf8').trimEnd().split('\n').slice(1).map((row) => row.split('\t'));
      expect(rows.map((row) => [row[6], row[7], row[8]])).toEqual([['0', '0', 'cd / && sleep 0'], ['-1', '15', 'cd / && sleep 5']]);
      expect((await cli(['--dry-run', 'cd / && echo {}', ':::', 'a b'])).stdout).toBe("cd / && echo 'a b'\n");
    }));

  it('--json keeps each run\'s stdout and stderr, or their paths under --results', () =>
    expectNoLeaks(async () => {
      const summary = JSON.parse((await cli(['--json', 'echo o{}; echo e{} >&2', ':::', '1'])).stdout);
      expect(summary.results[0]).toMatchObject({ seq: 1, args: ['1'], stdout: 'o1\n', stderr: 'e1\n', ok: true });
      const results = path.join(directory, 'json-results');
      const withPaths = JSON.parse((await cli(['--json', '--results', results, 'echo o{}', ':::', '1'])).stdout);
      expect(withPaths.results[0].stdoutPath).toBe(path.join(results, '1', 'stdout'));
      expect(existsSync(withPaths.results[0].stderrPath)).toBe(true);
    }));

  it('--bar and --eta draw the progress line even when stderr is not a terminal', () =>
    expectNoLeaks(async () => {
      expect((await cli(['--bar', 'true', ':::', 'a', 'b'])).stderr).toMatch(/\[#{24}\] done 2\/2, failed 0, running 0/);
      expect((await cli(['--eta', 'true', ':::', 'a', 'b'])).stderr).toMatch(/done \d\/2.*ETA \d+s/);
    }));
});
