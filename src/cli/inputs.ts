// The runs of a pool of commands: the arguments of each, from `::: a b`, `:::: FILE`, `-a FILE`,
// stdin, or `--tasks M` (0..M-1). Several sources combine as a cross product, the first one
// varying slowest, as in GNU parallel; `--colsep` splits each item into columns {1} {2} ...
import { open } from 'node:fs/promises';
import type { ArgumentSource } from './flags';
import { decodeBytes } from './bytes';
import type { RemoteHost } from './remote-args';

export interface Job {
  /** 1-based, in input order: {#}, PROCESS_SPAWNER_SEQ, the joblog's Seq. */
  seq: number;
  /** The columns: one per source (or more with --colsep); {} is them joined with spaces. */
  args: string[];
  /** --pipe: the block that is the run's stdin (dropped once the run is settled). */
  input?: Buffer | undefined;
  /** --onall, --nonall: the host the run must go to. */
  host?: RemoteHost;
}

export class InputError extends Error {}
InputError.prototype.name = 'InputError';

interface Splitting {
  delimiter: string | null;
  colsep: RegExp | null;
  /** -r: an empty item makes no run. */
  skipEmpty: boolean;
}

/** Every job, in order. The inputs are lists of arguments, read whole (the outputs never are). */
export async function readJobs(sources: readonly ArgumentSource[], splitting: Splitting): Promise<Job[]> {
  // Linked sources (:::+, --link) pair item by item into one group; groups combine as a product.
  const groups: string[][][] = [];
  for (const source of sources) {
    let items = await itemsOf(source, splitting.delimiter);
    if (splitting.skipEmpty) items = items.filter((item) => item.trim() !== '');
    const columns = items.map((item) => (splitting.colsep === null ? [item] : item.split(splitting.colsep)));
    const previous = groups.at(-1);
    if (source.link === undefined || previous === undefined) groups.push(columns);
    else groups[groups.length - 1] = linkColumns(previous, columns, source.link);
  }
  const jobs: Job[] = [];
  const combine = (depth: number, prefix: string[]) => {
    if (depth === groups.length) {
      jobs.push({ seq: jobs.length + 1, args: prefix });
      return;
    }
    for (const columns of groups[depth] as string[][]) combine(depth + 1, [...prefix, ...columns]);
  };
  combine(0, []);
  return jobs;
}

// `:::+` stops at the shorter source; --link wraps the shorter one around to the longer's length.
function linkColumns(left: string[][], right: string[][], link: 'shortest' | 'wrap'): string[][] {
  if (left.length === 0 || right.length === 0) return [];
  const length = link === 'shortest' ? Math.min(left.length, right.length) : Math.max(left.length, right.length);
  return Array.from({ length }, (_, i) => [...(left[i % left.length] as string[]), ...(right[i % right.length] as string[])]);
}

/**
 * -N n: each run takes n inputs in order (the last one what is left); their columns become one
 * list, so {} is all of them and {1}..{n} each one (with one column per input). Renumbered.
 * -N 0: one run per input, with none of it in the command. `spreadOver` (-m, -X): the inputs are
 * spread evenly over that many runs at most, each within `maxBytes` of arguments.
 */
export function groupJobs(jobs: readonly Job[], perRun: number, spreadOver: number | null = null, maxBytes = MAX_ARGUMENT_BYTES): Job[] {
  if (perRun === 0) return jobs.map((job) => ({ seq: job.seq, args: [] }));
  if (spreadOver !== null) return spreadJobs(jobs, spreadOver, maxBytes);
  if (perRun === 1) return [...jobs];
  const grouped: Job[] = [];
  for (let start = 0; start < jobs.length; start += perRun) {
    grouped.push({ seq: grouped.length + 1, args: jobs.slice(start, start + perRun).flatMap((job) => job.args) });
  }
  return grouped;
}

/** What -m and -X put on one command line at most: well under Linux's 2 MiB for argv and envp. */
const MAX_ARGUMENT_BYTES = 128 * 1024;

// -m, -X: as parallel does once the whole input is read, the inputs go to `slots` runs as evenly
// as can be (10 inputs at -j 2: 5 and 5), and a run whose arguments pass `maxBytes` is cut.
function spreadJobs(jobs: readonly Job[], slots: number, maxBytes: number): Job[] {
  const perRun = Math.max(1, Math.ceil(jobs.length / Math.max(slots, 1)));
  const grouped: Job[] = [];
  let args: string[] = [];
  let bytes = 0;
  let inRun = 0;
  const close = () => {
    if (args.length > 0) grouped.push({ seq: grouped.length + 1, args });
    args = [];
    bytes = 0;
    inRun = 0;
  };
  for (const job of jobs) {
    const size = job.args.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 3, 0);
    if (inRun === perRun || (inRun > 0 && bytes + size > maxBytes)) close();
    args.push(...job.args);
    bytes += size;
    inRun++;
  }
  close();
  return grouped;
}

async function itemsOf(source: ArgumentSource, delimiter: string | null): Promise<string[]> {
  switch (source.kind) {
    case 'values':
      // As parallel: a ::: argument holding the delimiter (a newline by default) is several.
      return source.values.flatMap((value) => {
        const items = value.split(delimiter ?? '\n');
        if (items.length > 1 && items.at(-1) === '') items.pop();
        return items;
      });
    case 'range':
      return Array.from({ length: source.count }, (_, i) => String(i));
    case 'file':
      return splitItems(await readInputFile(source.path), delimiter);
    case 'stdin':
      return splitItems(await readStream(process.stdin), delimiter);
  }
}

/** Items separated by `delimiter` (lines by default); a last delimiter ends the last item. */
export function splitItems(text: string, delimiter: string | null): string[] {
  const items = text.split(delimiter ?? '\n');
  if (items.at(-1) === '') items.pop();
  return items;
}

/** A file of inputs, or an InputError that says which and why, in one line. */
export async function readInputFile(path: string): Promise<string> {
  try {
    const file = await open(path, 'r');
    try {
      return decodeBytes(await file.readFile());
    } finally {
      await file.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    throw new InputError(`cannot read ${path}: ${why}`);
  }
}

function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(decodeBytes(Buffer.concat(chunks))));
    stream.once('error', reject);
  });
}
