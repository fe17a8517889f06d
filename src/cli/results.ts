// --results DIR: each run's output kept in DIR/<seq>/ as files (stdout, stderr, exitval, args),
// written as it comes, so the directory holds what a run printed even if we are interrupted.
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExitInfo } from '../core/subprocess';
import type { Job } from './inputs';
import { InputError } from './inputs';
import { encodeBytes } from './bytes';
import { statusForSignal } from './lifecycle';
import { writeAll } from './spool';

export interface RunResultFiles {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  end(info: ExitInfo): void;
  paths(): { stdoutPath: string; stderrPath: string };
}

export class ResultsDirectory {
  constructor(private readonly root: string) {
    try {
      mkdirSync(root, { recursive: true });
    } catch (error) {
      throw new InputError(`cannot make the --results directory ${root}: ${(error as NodeJS.ErrnoException).code}`);
    }
  }

  /** The files of one run, truncated: a retry starts them again. */
  forRun(job: Job): RunResultFiles {
    const directory = path.join(this.root, String(job.seq));
    mkdirSync(directory, { recursive: true });
    writeFileSync(path.join(directory, 'args'), encodeBytes(`${job.args.join('\n')}\n`));
    const stdoutPath = path.join(directory, 'stdout');
    const stderrPath = path.join(directory, 'stderr');
    const fds = { stdout: openSync(stdoutPath, 'w'), stderr: openSync(stderrPath, 'w') };
    return {
      stdout: (chunk) => writeAll(fds.stdout, chunk),
      stderr: (chunk) => writeAll(fds.stderr, chunk),
      end: (info) => {
        closeSync(fds.stdout);
        closeSync(fds.stderr);
        const status = info.signal !== null ? statusForSignal(info.signal) : (info.exitCode ?? 0);
        writeFileSync(path.join(directory, 'exitval'), `${status}\n`);
      },
      paths: () => ({ stdoutPath, stderrPath }),
    };
  }
}
