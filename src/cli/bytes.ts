// Arguments are bytes end to end. A file name need not be UTF-8 (Latin-1 names, `find -print0`),
// and `xargs -0` passes it through untouched: so do we. Inputs and our own command line are
// decoded as UTF-8 where they are UTF-8, and every byte that is not is kept as one lone surrogate,
// U+DC80 + byte (Python's "surrogateescape"), which no valid UTF-8 decodes to. Everything else
// (replacement strings, --colsep, quoting) works on those strings unchanged, and what leaves us
// (an argv, a printed tag, a joblog line) is encoded back to the very bytes that came in.
//
// The addon converts argv strings to UTF-8, so a lone surrogate cannot reach execve as its byte.
// A run whose argv holds one goes through the shell instead: the command line is rebuilt by
// `printf` from octal escapes, which is byte-exact in any POSIX shell, and `eval`'d.
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { shellQuote } from './shell';

const ESCAPED_BYTE = /[\uDC80-\uDCFF]/;
const ESCAPE_BASE = 0xdc00;

/** The text of `bytes`: UTF-8 where it is valid, each other byte as U+DC80 + byte. */
export function decodeBytes(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const parts: string[] = [];
  let validFrom = 0;
  for (let i = 0; i < bytes.length; ) {
    const length = utf8SequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    parts.push(bytes.toString('utf8', validFrom, i), String.fromCharCode(ESCAPE_BASE + (bytes[i] as number)));
    validFrom = ++i;
  }
  parts.push(bytes.toString('utf8', validFrom));
  return parts.join('');
}

/** The bytes `text` was decoded from by decodeBytes. */
export function encodeBytes(text: string): Buffer {
  if (!ESCAPED_BYTE.test(text)) return Buffer.from(text);
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xdc80 || code > 0xdcff) continue;
    parts.push(Buffer.from(text.slice(from, i)), Buffer.of(code - ESCAPE_BASE));
    from = i + 1;
  }
  parts.push(Buffer.from(text.slice(from)));
  return Buffer.concat(parts);
}

function hasEscapedBytes(text: string): boolean {
  return ESCAPED_BYTE.test(text);
}

/**
 * Our arguments as the bytes they are. Node decodes process.argv as UTF-8, turning any other
 * byte into U+FFFD for good; /proc/self/cmdline still has them. Our arguments are its last ones
 * (Node's own options come before the script).
 */
export function ourArguments(): string[] {
  const fromNode = process.argv.slice(2);
  let cmdline: Buffer;
  try {
    cmdline = readFileSync('/proc/self/cmdline');
  } catch {
    return fromNode;
  }
  if (isUtf8(cmdline)) return fromNode;
  const words: Buffer[] = [];
  for (let start = 0; start < cmdline.length; ) {
    const end = cmdline.indexOf(0, start);
    words.push(cmdline.subarray(start, end < 0 ? cmdline.length : end));
    start = end < 0 ? cmdline.length : end + 1;
  }
  if (words.length < fromNode.length) return fromNode;
  return words.slice(words.length - fromNode.length).map(decodeBytes);
}

/**
 * The argv to spawn for `argv`: itself when it is all UTF-8; otherwise `shell -c` with the command
 * line rebuilt byte for byte by printf (a shell run keeps its shell and script, a direct one is
 * exec'd from the shell).
 */
export function byteExactArgv(argv: readonly string[], shell: boolean, defaultShell: string): string[] {
  if (!argv.some(hasEscapedBytes)) return [...argv];
  const line = shell ? (argv[2] as string) : `exec ${argv.map(shellQuote).join(' ')}`;
  return [shell ? (argv[0] as string) : defaultShell, '-c', `eval "$(printf '${printfEscape(line)}')"`];
}

// printf's format: escaped bytes as \ooo, `\` and `%` doubled, and `'` closed and reopened, since
// the whole is single-quoted.
function printfEscape(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code >= 0xdc80 && code <= 0xdcff) out += `\\${(code - ESCAPE_BASE).toString(8).padStart(3, '0')}`;
    else if (char === '\\') out += '\\\\';
    else if (char === '%') out += '%%';
    else if (char === "'") out += "'\\''";
    else out += char;
  }
  return out;
}

// The length of the valid UTF-8 sequence at `i` (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or 0 when the byte there starts none.
function utf8SequenceLength(bytes: Buffer, i: number): number {
  const lead = bytes[i] as number;
  if (lead < 0x80) return 1;
  const continuation = (offset: number, low = 0x80, high = 0xbf) => {
    const byte = bytes[i + offset];
    return byte !== undefined && byte >= low && byte <= high;
  };
  if (lead >= 0xc2 && lead <= 0xdf) return continuation(1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const [low, high] = lead === 0xe0 ? [0xa0, 0xbf] : lead === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return continuation(1, low, high) && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const [low, high] = lead === 0xf0 ? [0x90, 0xbf] : lead === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return continuation(1, low, high) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}
