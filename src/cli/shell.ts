// How a command string becomes an argv. A string with no shell syntax is split on blanks and
// exec'd directly: no /bin/sh between us and the program (one exec fewer per run, and the pid we
// report is the program's). A string with shell syntax runs as `/bin/sh -c`, with `exec` put in
// front of its last simple command when that changes nothing else (dash forks for it otherwise),
// so that `cd d && node w.js` or `FOO=1 node w.js` still ends up as the program's own pid.
import { tokenize, TokenizeError } from './tokenize';

/** The program of a run; with `shell`, argv is `[shell, '-c', script]`. */
export interface CommandTemplate {
  argv: string[];
  shell: boolean;
  /**
   * The script as the user wrote it, before `exec` was put in front of its last command: what
   * --dry-run and the joblog show (the `exec` is ours, not theirs). Null when not a shell run.
   */
  script?: string | null;
  /** The replacement strings; REPLACEMENT unless -I chose another string for {}. */
  pattern?: RegExp;
  /** The arguments are the command (parallel with no command: each input line is one). */
  inputIsCommand?: boolean;
}

/** `{}` `{#}` `{%}` `{.}` `{/}` `{//}` `{/.}` and `{1}` `{2.}` ...: GNU parallel's replacement strings. */
export const REPLACEMENT = /\{(?<column>\d+)?(?<modifier>#|%|\.|\/\/|\/\.|\/)?\}/g;

/**
 * The replacement strings with `token` standing for {} (parallel's -I): `{}` itself is then
 * plain text (substitute() leaves a match without a column or modifier as it is), the others stay.
 */
export function replacementPattern(token: string | null): RegExp {
  if (token === null || token === '{}') return REPLACEMENT;
  if (token === '') throw new RangeError('-I needs a non-empty replacement string');
  const escaped = token.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`(?<token>${escaped})|${REPLACEMENT.source}`, 'g');
}

// Builtins and keywords: a command starting with one of them needs the shell (cd, exit, export
// change the shell itself; there is no program called `if`). echo, printf, test, true, false and
// kill exist as programs that do the same.
const SHELL_WORDS = new Set([
  '.', ':', 'alias', 'bg', 'break', 'builtin', 'cd', 'command', 'continue', 'eval', 'exec', 'exit', 'export', 'fc', 'fg',
  'getopts', 'hash', 'jobs', 'local', 'read', 'readonly', 'return', 'set', 'shift', 'source', 'times', 'trap', 'type', 'ulimit',
  'umask', 'unalias', 'unset', 'wait', '!', '{', '}', '[[', ']]', 'case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for',
  'function', 'if', 'in', 'select', 'then', 'time', 'until', 'while',
]);
// What may appear in a command that needs no shell: words of these characters, blank-separated.
const PLAIN_WORD = /^[A-Za-z0-9_/.,:@+=%^-]+$/;

export interface TemplateOptions {
  noShell?: boolean;
  /** The shell that runs a command with shell syntax (default /bin/sh). */
  shell?: string;
  pattern?: RegExp;
}

export function commandTemplate(command: string, options: TemplateOptions = {}): CommandTemplate {
  const pattern = options.pattern ?? REPLACEMENT;
  if (options.noShell === true) return { argv: tokenizeOrThrow(command), shell: false, pattern };
  const words = plainWords(command, pattern);
  if (words !== null) return { argv: words, shell: false, pattern };
  return { argv: [options.shell ?? '/bin/sh', '-c', execLastCommand(command)], shell: true, script: command, pattern };
}

/** A run whose command is its input (`parallel < jobs.txt`): the shell runs each as it is. */
export function inputCommandTemplate(shell = '/bin/sh'): CommandTemplate {
  return { argv: [shell, '-c', '{}'], shell: true, script: '{}', pattern: REPLACEMENT, inputIsCommand: true };
}

/** The words of a command that needs no shell, or null when it does. */
function plainWords(command: string, pattern: RegExp): string[] | null {
  const words = command.split(/[ \t]+/).filter((word) => word !== '');
  if (words.length === 0) return null;
  const first = words[0] as string;
  if (SHELL_WORDS.has(first) || first.includes('=')) return null;
  const plain = words.every((word) => PLAIN_WORD.test(word.replace(pattern, 'x')));
  return plain ? words : null;
}

/**
 * Quotes a value for sh: it stays one word and nothing in it is expanded or run. A quote inside
 * is written `'"'"'`, as GNU parallel writes it (--dry-run shows the same line).
 */
export function shellQuote(value: string): string {
  if (value !== '' && PLAIN_WORD.test(value)) return value;
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}

/**
 * `a && b` becomes `a && exec b`, `FOO=1 node w.js` becomes `FOO=1 exec node w.js`. Left as it
 * is when the last command is not a plain one (a pipeline, a subshell, a builtin, a background
 * job), and when the script sets a trap or has a here-document (exec would skip or break them).
 */
export function execLastCommand(script: string): string {
  if (/\btrap\b/.test(script) || script.includes('<<')) return script;
  const start = lastCommandStart(script);
  if (start === null) return script;
  const insertAt = commandWordOffset(script, start);
  if (insertAt === null) return script;
  return `${script.slice(0, insertAt)}exec ${script.slice(insertAt)}`;
}

// Where the last command of a `;`, `&&`, `||`, `&` or newline list starts, or null when the script
// has a construct this scan does not follow (unbalanced quotes or parentheses, a pipe at the end).
function lastCommandStart(script: string): number | null {
  let start = 0;
  let depth = 0;
  let pipeAfterStart = false;
  for (let i = 0; i < script.length; i++) {
    const char = script[i] as string;
    if (char === '\\') {
      i++;
    } else if (char === "'") {
      i = script.indexOf("'", i + 1);
      if (i < 0) return null;
    } else if (char === '"' || char === '`') {
      i = closingQuote(script, i);
      if (i < 0) return null;
    } else if (char === '(') {
      depth++;
    } else if (char === ')') {
      depth--;
    } else if (depth === 0 && (char === ';' || char === '\n')) {
      start = i + 1;
      pipeAfterStart = false;
    } else if (depth === 0 && char === '&') {
      if (script[i + 1] === '&') i++;
      else if (script[i - 1] === '>' || script[i - 1] === '<' || script[i + 1] === '>') continue;
      start = i + 1;
      pipeAfterStart = false;
    } else if (depth === 0 && char === '|') {
      if (script[i + 1] === '|') {
        i++;
        start = i + 1;
        pipeAfterStart = false;
      } else if (script[i - 1] !== '>') {
        pipeAfterStart = true;
      }
    }
  }
  if (depth !== 0 || pipeAfterStart || script.slice(start).trim() === '') return null;
  return start;
}

function closingQuote(script: string, open: number): number {
  const quote = script[open] as string;
  for (let i = open + 1; i < script.length; i++) {
    if (script[i] === '\\') i++;
    else if (script[i] === quote) return i;
  }
  return -1;
}

// The offset of the command word (after NAME=value assignments) of the command at `start`, or
// null when there is none or it is one that must run in the shell itself.
function commandWordOffset(script: string, start: number): number | null {
  const pattern = /[^ \t]+/g;
  pattern.lastIndex = start;
  for (let match = pattern.exec(script); match !== null; match = pattern.exec(script)) {
    const word = match[0];
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) {
      // An assignment's value may be quoted and hold blanks: skip to its end.
      if (/['"]/.test(word)) return null;
      continue;
    }
    if (SHELL_WORDS.has(word) || /^[({!]/.test(word) || word.includes(')')) return null;
    return match.index;
  }
  return null;
}

function tokenizeOrThrow(command: string): string[] {
  try {
    const argv = tokenize(command);
    if (argv.length === 0) throw new TokenizeError('the command is empty');
    return argv;
  } catch (error) {
    if (error instanceof TokenizeError) throw new RangeError(error.message);
    throw error;
  }
}
