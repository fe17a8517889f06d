// A command line read into flags by a table of option names, before any option means anything:
// values, lists (options given several times), booleans, the command's words, and the sources
// of arguments after `:::`/`::::`. Options come first; the first word that is not an option
// starts the command, which runs to the end or to the first source marker (as in GNU parallel).
// Combined short flags (`-kj4`) and `--name=value` work. Both commands read their flags here,
// each with its own table (args.ts, parallel-args.ts).

export class UsageError extends Error {}
UsageError.prototype.name = 'UsageError';

/** The names of one command's options; readFlags() turns every alias into the long name. */
export interface OptionTable {
  shortValue: Readonly<Record<string, string>>;
  shortBoolean: Readonly<Record<string, string>>;
  longAliases: Readonly<Record<string, string>>;
  valueFlags: ReadonlySet<string>;
  booleanFlags: ReadonlySet<string>;
}

/**
 * Where the arguments of the runs come from, combined as a cross product in order. `link`: how a
 * source pairs with the one before it instead (`:::+`: item by item, as far as the shorter goes;
 * --link: item by item, the shorter wrapping around).
 */
export type ArgumentSource = ({ kind: 'values'; values: string[] } | { kind: 'file'; path: string } | { kind: 'stdin' } | { kind: 'range'; count: number }) & {
  link?: 'shortest' | 'wrap';
};

export interface RawFlags {
  values: Map<string, string>;
  /** The options that may be given several times (-a, -S, --return...), each value in order. */
  lists: Map<string, string[]>;
  booleans: Set<string>;
  /** Command words (a string, or words joined with spaces as parallel does). */
  words: string[];
  /** After `--`: the argv, exec'd directly. */
  direct: string[] | null;
  sources: ArgumentSource[];
}

export function readFlags(argv: readonly string[], table: OptionTable): RawFlags {
  const flags: RawFlags = { values: new Map(), lists: new Map(), booleans: new Set(), words: [], direct: null, sources: [] };
  let i = 0;
  const valueOf = (name: string, inline: string | undefined): string => {
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${name} needs a value`);
    return value;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      flags.direct = [];
      i++;
      break;
    }
    if (isSourceMarker(arg)) break;
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      const name = table.longAliases[equals < 0 ? arg : arg.slice(0, equals)] ?? (equals < 0 ? arg : arg.slice(0, equals));
      const inline = equals < 0 ? undefined : arg.slice(equals + 1);
      if (table.booleanFlags.has(name) && inline === undefined) flags.booleans.add(name);
      else if (table.valueFlags.has(name)) setValue(flags, name, valueOf(name, inline));
      else throw new UsageError(`unknown option ${arg}`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      readShortFlags(arg, flags, table, (name, rest) => valueOf(name, rest));
    } else {
      break;
    }
  }
  // The command: words up to the first source marker.
  const commandWords: string[] = [];
  for (; i < argv.length && !isSourceMarker(argv[i] as string); i++) commandWords.push(argv[i] as string);
  if (flags.direct !== null) flags.direct = commandWords;
  else flags.words = commandWords;
  readSources(argv, i, flags);
  return flags;
}

// `-kj4`: each letter a flag; a letter that takes a value takes the rest of the word, or the next.
function readShortFlags(arg: string, flags: RawFlags, table: OptionTable, valueOf: (name: string, rest: string | undefined) => string): void {
  for (let k = 1; k < arg.length; k++) {
    const letter = arg[k] as string;
    const valueName = table.shortValue[letter];
    if (valueName !== undefined) {
      const rest = arg.slice(k + 1);
      setValue(flags, valueName, valueOf(`-${letter}`, rest === '' ? undefined : rest));
      return;
    }
    const booleanName = table.shortBoolean[letter];
    if (booleanName === undefined) throw new UsageError(`unknown option -${letter}${arg.length > 2 ? ` (in ${arg})` : ''}`);
    flags.booleans.add(booleanName);
  }
}

// Options that take several values, each use adding one.
const LIST_FLAGS = new Set(['--arg-file', '--sshlogin', '--transferfile', '--return', '--trc']);

function setValue(flags: RawFlags, name: string, value: string): void {
  if (!LIST_FLAGS.has(name)) return void flags.values.set(name, value);
  const list = flags.lists.get(name) ?? [];
  list.push(value);
  flags.lists.set(name, list);
}

// `:::` and `::::` start a source; `:::+` and `::::+` one linked to the source before it.
function isSourceMarker(arg: string): boolean {
  return arg === ':::' || arg === '::::' || arg === ':::+' || arg === '::::+';
}

// `::: a b c :::: FILE ...`: each marker starts a source.
function readSources(argv: readonly string[], start: number, flags: RawFlags): void {
  for (let i = start; i < argv.length; ) {
    const marker = argv[i] as string;
    const items: string[] = [];
    for (i++; i < argv.length && !isSourceMarker(argv[i] as string); i++) items.push(argv[i] as string);
    // With no ::: or :::: source before it, a linked marker is a plain one (as in parallel).
    const link = marker.endsWith('+') && flags.sources.length > 0 ? { link: 'shortest' as const } : {};
    if (marker.startsWith('::::')) {
      if (items.length === 0) throw new UsageError(`${marker} needs a file after it`);
      for (const file of items) flags.sources.push(file === '-' ? { kind: 'stdin', ...link } : { kind: 'file', path: file, ...link });
    } else {
      if (items.length === 0) throw new UsageError(`${marker} needs at least one argument after it`);
      flags.sources.push({ kind: 'values', values: items, ...link });
    }
  }
}

export function given(flags: RawFlags, name: string): boolean {
  return flags.booleans.has(name) || flags.values.has(name) || (flags.lists.get(name) ?? []).length > 0;
}

export function rejectFlags(flags: RawFlags, names: string[], needs: string): void {
  for (const name of names) {
    if (given(flags, name)) throw new UsageError(`${name} only goes with ${needs}`);
  }
}
