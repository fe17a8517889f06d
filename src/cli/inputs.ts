// The runs of a pool of commands: the arguments of each, from `::: a b`, `:::: FILE`, `-a FILE`,
// stdin, or `--tasks M` (0..M-1). Several sources combine as a cross product, the first one
// varying slowest, as in GNU parallel; `--colsep` splits each item into columns {1} {2} ...
import { open } from 'node:fs/promises';
import type { ArgumentSource } from './args';

export interface Job {
  /** 1-based, in input order: {#}, PROCESS_SPAWNER_SEQ, the joblog's Seq. */
  seq: number;
  /** The columns: one per source (or more with --colsep); {} is them joined with spaces. */
  args: string[];
}

export class InputError extends Error {}
InputError.prototype.name = 'InputError';

interface Splitting {
  delimiter: string | null;
  colsep: string | null;
}

/** Every job, in order. The inputs are lists of arguments, read whole (the outputs never are). */
export async function readJobs(sources: readonly ArgumentSource[], splitting: Splitting): Promise<Job[]> {
  const columnsOfSources: string[][][] = [];
  for (const source of sources) {
    const items = await itemsOf(source, splitting.delimiter);
    columnsOfSources.push(items.map((item) => (splitting.colsep === null ? [item] : item.split(splitting.colsep))));
  }
  const jobs: Job[] = [];
  const combine = (depth: number, prefix: string[]) => {
    if (depth === columnsOfSources.length) {
      jobs.push({ seq: jobs.length + 1, args: prefix });
      return;
    }
    for (const columns of columnsOfSources[depth] as string[][]) combine(depth + 1, [...prefix, ...columns]);
  };
  combine(0, []);
  return jobs;
}

/**
 * -N n: each run takes n inputs in order (the last one what is left); their columns become one
 * list, so {} is all of them and {1}..{n} each one (with one column per input). Renumbered.
 */
export function groupJobs(jobs: readonly Job[], perRun: number): Job[] {
  if (perRun === 1) return [...jobs];
  const grouped: Job[] = [];
  for (let start = 0; start < jobs.length; start += perRun) {
    grouped.push({ seq: grouped.length + 1, args: jobs.slice(start, start + perRun).flatMap((job) => job.args) });
  }
  return grouped;
}

async function itemsOf(source: ArgumentSource, delimiter: string | null): Promise<string[]> {
  switch (source.kind) {
    case 'values':
      return source.values;
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
      return await file.readFile('utf8');
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
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
  });
}
