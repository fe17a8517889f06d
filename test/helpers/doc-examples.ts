// The runnable examples of a Markdown document: each ```js (CommonJS), ```mjs (ES module) or ```sh
// block, with the ```text block right after it (only blank lines between) that shows its output.
export interface DocExample {
  language: 'js' | 'mjs' | 'sh';
  code: string;
  /** What it prints, or null when no text block follows it. */
  expected: string | null;
  /** Its line in the document. */
  line: number;
}

const LANGUAGES: ReadonlySet<string> = new Set(['js', 'mjs', 'sh']);

export function docExamples(markdown: string): DocExample[] {
  const fence = /```(\w*)\n([\s\S]*?)```/g;
  const blocks = [...markdown.matchAll(fence)].map((match) => ({
    language: match[1] as string,
    body: match[2] as string,
    start: match.index ?? 0,
    end: (match.index ?? 0) + match[0].length,
  }));
  const examples: DocExample[] = [];
  blocks.forEach((block, i) => {
    if (!LANGUAGES.has(block.language)) return;
    const next = blocks[i + 1];
    const adjacent = next !== undefined && next.language === 'text' && markdown.slice(block.end, next.start).trim() === '';
    examples.push({
      language: block.language as DocExample['language'],
      code: block.body,
      expected: adjacent ? next.body : null,
      line: markdown.slice(0, block.start).split('\n').length,
    });
  });
  return examples;
}

/** node's arguments that run a js or mjs example as the main program. */
export function nodeArgs(example: DocExample): string[] {
  return example.language === 'mjs' ? ['--input-type=module', '-e', example.code] : ['-e', example.code];
}
