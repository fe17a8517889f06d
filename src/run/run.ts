// run(): spawn, feed stdin, collect stdout and stderr, and resolve with how the child ended, or
// reject with a RunError that carries all of it.
import { OutputBuffer, RunSession } from './run-session';
import type { RunEncoding, RunOptions, RunOutput, RunResult } from './run-options';

export type { RunEncoding, RunInput, RunOptions, RunOutput, RunResult } from './run-options';

/**
 * Runs a program to its end. Every error comes as a rejection, never a synchronous throw: a bad
 * option (TypeError, RangeError) and a failed spawn (SpawnError) before any process exists, an
 * already-aborted `signal` with its reason, a failed run with a RunError.
 */
export function run<Encoding extends RunEncoding = 'utf8'>(
  file: string,
  args?: readonly string[],
  options?: RunOptions<Encoding>,
): Promise<RunResult<RunOutput<Encoding>>>;
export function run<Encoding extends RunEncoding = 'utf8'>(
  file: string,
  options?: RunOptions<Encoding>,
): Promise<RunResult<RunOutput<Encoding>>>;
export async function run(
  file: string,
  argsOrOptions?: readonly string[] | RunOptions,
  maybeOptions?: RunOptions,
): Promise<RunResult<string | Buffer>> {
  const session = RunSession.start(file, argsOrOptions, maybeOptions);
  const stdout = new OutputBuffer(session, 'stdout');
  const stderr = new OutputBuffer(session, 'stderr');
  const exit = await session.finished();
  const { encoding } = session.settings;
  return session.settle(exit, stdout.contents(encoding), stderr.contents(encoding));
}
