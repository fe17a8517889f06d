// `--no-shell`: splits one command string into argv with the shell's quoting rules (single and
// double quotes, backslash escapes), and nothing else: no variables, globs, pipes or redirections.

export class TokenizeError extends Error {}
TokenizeError.prototype.name = 'TokenizeError';

export function tokenize(command: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let i = 0;
  const append = (text: string) => (word = (word ?? '') + text);
  while (i < command.length) {
    const char = command[i] as string;
    if (char === ' ' || char === '\t' || char === '\n') {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (char === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new TokenizeError('unterminated single quote');
      append(command.slice(i + 1, end));
      i = end + 1;
    } else if (char === '"') {
      const [text, end] = readDoubleQuoted(command, i + 1);
      append(text);
      i = end + 1;
    } else if (char === '\\') {
      if (i + 1 >= command.length) throw new TokenizeError('backslash at the end of the command');
      append(command[i + 1] as string);
      i += 2;
    } else {
      append(char);
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

// Inside double quotes a backslash escapes only $ ` " \ and newline, as in sh.
function readDoubleQuoted(command: string, start: number): [string, number] {
  let text = '';
  for (let i = start; i < command.length; i++) {
    const char = command[i] as string;
    if (char === '"') return [text, i];
    if (char === '\\' && i + 1 < command.length && '$`"\\\n'.includes(command[i + 1] as string)) {
      text += command[++i];
    } else {
      text += char;
    }
  }
  throw new TokenizeError('unterminated double quote');
}
