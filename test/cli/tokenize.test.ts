import { describe, expect, it } from 'vitest';
import { tokenize, TokenizeError } from '../../src/cli/tokenize';

describe('tokenize (--no-shell)', () => {
  it.each([
    ['echo hello world', ['echo', 'hello', 'world']],
    ["printf '%s|' 'a b'", ['printf', '%s|', 'a b']],
    ['echo "a \\"b\\" $HOME" c', ['echo', 'a "b" $HOME', 'c']],
    ['a\\ b c', ['a b', 'c']],
    ["x''y \"\"", ['xy', '']],
    ['  spaced\tout\n', ['spaced', 'out']],
    ['"\\n stays"', ['\\n stays']],
  ])('splits %j', (command, words) => {
    expect(tokenize(command)).toEqual(words);
  });

  it.each([["'open", /single quote/], ['"open', /double quote/], ['trailing\\', /backslash/]])('rejects %j', (command, message) => {
    expect(() => tokenize(command)).toThrow(TokenizeError);
    expect(() => tokenize(command)).toThrow(message);
  });
});
