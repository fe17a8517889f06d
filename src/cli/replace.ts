// GNU parallel's replacement strings in a command template: {} {#} {%} {.} {/} {//} {/.} and
// {1} {2.} ...; with none, the arguments are appended. In a shell command the values are quoted,
// so a file named `a b; rm -rf x` is one argument and runs nothing.
import path from 'node:path';
import type { Job } from './inputs';
import { REPLACEMENT, shellQuote, type CommandTemplate } from './shell';

/**
 * The argv of one run of `template`. `slot` is 1-based: which of the N running places it took.
 * `append`: with no replacement string, the arguments go at the end (not for --tasks M, whose
 * commands use {} when they want the index).
 */
export function expandCommand(template: CommandTemplate, job: Job, slot: number, append = true): string[] {
  if (template.shell) {
    const script = template.argv[2] as string;
    const expanded = hasReplacement(script) || !append
      ? substitute(script, job, slot, shellQuote)
      : [script, ...job.args.map(shellQuote)].join(' ');
    return [...template.argv.slice(0, 2), expanded];
  }
  if (!template.argv.some(hasReplacement)) return append ? [...template.argv, ...job.args] : [...template.argv];
  return template.argv.map((word) => substitute(word, job, slot, (value) => value));
}

/** The command as the joblog and --dry-run show it: a shell line. */
export function displayCommand(argv: readonly string[], shell: boolean): string {
  return shell ? (argv[2] as string) : argv.map(shellQuote).join(' ');
}

function hasReplacement(text: string): boolean {
  REPLACEMENT.lastIndex = 0;
  return REPLACEMENT.test(text);
}

function substitute(text: string, job: Job, slot: number, quote: (value: string) => string): string {
  return text.replace(REPLACEMENT, (_match, column: string | undefined, modifier: string | undefined) => {
    if (modifier === '#') return String(job.seq);
    if (modifier === '%') return String(slot);
    const value = column === undefined ? job.args.join(' ') : (job.args[Number(column) - 1] ?? '');
    return quote(modify(value, modifier));
  });
}

function modify(value: string, modifier: string | undefined): string {
  switch (modifier) {
    case '.':
      return withoutExtension(value);
    case '/':
      return path.posix.basename(value);
    case '//':
      return path.posix.dirname(value);
    case '/.':
      return withoutExtension(path.posix.basename(value));
    default:
      return value;
  }
}

// `dir/a.tar.gz` -> `dir/a.tar`; a dot in a directory name or a leading dot is no extension.
function withoutExtension(value: string): string {
  const base = path.posix.basename(value);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return value;
  return value.slice(0, value.length - (base.length - dot));
}
