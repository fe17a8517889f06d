// GNU parallel's replacement strings in a command template: {} {#} {%} {.} {/} {//} {/.} and
// {1} {2.} ...; with none, the arguments are appended. In a shell command the values are quoted,
// so a file named `a b; rm -rf x` is one argument and runs nothing.
import path from 'node:path';
import type { Job } from './inputs';
import { execLastCommand, REPLACEMENT, shellQuote, type CommandTemplate } from './shell';

/** How the arguments of a run go into its command. */
export interface Expansion {
  /** With no replacement string, the arguments go at the end (not for --tasks M or --pipe). */
  append: boolean;
  /** parallel's -X: a word holding a replacement string is repeated once per argument. */
  context: boolean;
}

const DEFAULT_EXPANSION: Expansion = { append: true, context: false };

/** The argv of one run of `template`. `slot` is 1-based: which of the N running places it took. */
export function expandCommand(template: CommandTemplate, job: Job, slot: number, expansion: Expansion = DEFAULT_EXPANSION): string[] {
  if (template.inputIsCommand === true) return [...template.argv.slice(0, 2), execLastCommand(job.args.join(' '))];
  if (template.shell) return [...template.argv.slice(0, 2), expandLine(template.argv[2] as string, template, job, slot, expansion)];
  const pattern = template.pattern ?? REPLACEMENT;
  if (!template.argv.some((word) => hasReplacement(word, pattern))) return expansion.append ? [...template.argv, ...job.args] : [...template.argv];
  // A word of a direct argv with several arguments in it splits where the shell would split it.
  return template.argv.flatMap((word) => expandWord(word, pattern, job, slot, expansion.context, NO_QUOTING).flatMap((value) => value.split('\0')));
}

// For a direct argv: the values as they are, several joined with NUL (which no argument holds),
// so that the word can be split there.
const NO_QUOTING = { quote: (value: string) => value, separator: '\0' };
const SHELL_QUOTING = { quote: shellQuote, separator: ' ' };
type Quoting = typeof SHELL_QUOTING;

/** The command as the joblog, --dry-run and -v show it: the shell line the user wrote, expanded. */
export function displayCommand(template: CommandTemplate, job: Job, slot: number, expansion: Expansion = DEFAULT_EXPANSION): string {
  if (template.inputIsCommand === true) return job.args.join(' ');
  if (template.shell) return expandLine(template.script ?? (template.argv[2] as string), template, job, slot, expansion);
  // The words quoted as they are, and the values quoted where they go in (`x'a b'y`), as parallel shows them.
  const pattern = template.pattern ?? REPLACEMENT;
  if (!template.argv.some((word) => hasReplacement(word, pattern))) {
    return [...template.argv, ...(expansion.append ? job.args : [])].map(shellQuote).join(' ');
  }
  return template.argv
    .flatMap((word) => (hasReplacement(word, pattern) ? expandWord(word, pattern, job, slot, expansion.context, SHELL_QUOTING) : [shellQuote(word)]))
    .join(' ');
}

// A shell line: the values quoted; with no replacement string, appended.
function expandLine(line: string, template: CommandTemplate, job: Job, slot: number, expansion: Expansion): string {
  const pattern = template.pattern ?? REPLACEMENT;
  if (!hasReplacement(line, pattern)) return expansion.append ? [line, ...job.args.map(shellQuote)].join(' ') : line;
  if (!expansion.context) return substitute(line, pattern, job, slot, SHELL_QUOTING);
  return line
    .split(' ')
    .flatMap((word) => expandWord(word, pattern, job, slot, true, SHELL_QUOTING))
    .join(' ');
}

// One word; under -X a word with a replacement string becomes one word per argument.
function expandWord(word: string, pattern: RegExp, job: Job, slot: number, context: boolean, quoting: Quoting): string[] {
  if (!context || job.args.length <= 1 || !hasReplacement(word, pattern)) return [substitute(word, pattern, job, slot, quoting)];
  return job.args.map((arg) => substitute(word, pattern, { seq: job.seq, args: [arg] }, slot, quoting));
}

function hasReplacement(text: string, pattern: RegExp): boolean {
  pattern.lastIndex = 0;
  return pattern.test(text);
}

interface ReplacementGroups {
  token?: string;
  column?: string;
  modifier?: string;
}

function substitute(text: string, pattern: RegExp, job: Job, slot: number, { quote, separator }: Quoting): string {
  return text.replace(pattern, (match: string, ...rest: unknown[]) => {
    const { token, column, modifier } = rest.at(-1) as ReplacementGroups;
    // Under -I, `{}` is no replacement string any more: the chosen token is.
    if (token === undefined && column === undefined && modifier === undefined && pattern !== REPLACEMENT) return match;
    if (modifier === '#') return String(job.seq);
    if (modifier === '%') return String(slot);
    // {} (or {.} ...) with several arguments: each one quoted, joined with spaces.
    if (column === undefined) return job.args.map((value) => quote(modify(value, modifier))).join(separator);
    return quote(modify(job.args[Number(column) - 1] ?? '', modifier));
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

// As parallel (`s:\.[^/.]*$::`): `dir/a.tar.gz` -> `dir/a.tar`, `.bashrc` -> ``, and a dot in a
// directory name is no extension (`dir.x/f` stays).
function withoutExtension(value: string): string {
  return value.replace(/\.[^/.]*$/, '');
}
