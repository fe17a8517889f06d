// The house drawn from src/'s imports: no file reaches itself through its imports (each type has
// one home below its users), src/core/ imports nothing above it, and the addon module is the core's
// own: the rest of the library asks the core's modules that name what it needs (process-control.ts
// for the command, raw-fds.ts for the drop-in's handle passing, spawn-sync.ts's types).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { circles, importGraph, readSources } from './helpers/import-graph';

const SOURCES = readSources(path.join(__dirname, '..', 'src'));
const GRAPH = importGraph(SOURCES);
const ADDON_MODULE = 'core/native.ts';

const importersOf = (target: string): string[] => [...GRAPH].filter(([, targets]) => targets.includes(target)).map(([file]) => file);

describe('the import graph of src/', () => {
  it('is read from every file, with the imports it holds', () => {
    expect(GRAPH.size).toBe(SOURCES.size);
    expect(GRAPH.get('index.ts')).toEqual(expect.arrayContaining(['core/spawn.ts', 'run/run.ts', 'pool/index.ts', 'protocol/index.ts']));
    // Type-only imports count: errors.ts takes ChildStep as a type alone.
    expect(GRAPH.get('core/errors.ts')).toContain('core/child-steps.ts');
  });

  it('has no circle', () => {
    expect(circles(GRAPH).map((circle) => circle.join(' -> '))).toEqual([]);
  });

  it('keeps src/core/ at the bottom: it imports only itself', () => {
    const upward = [...GRAPH]
      .filter(([file]) => file.startsWith('core/'))
      .flatMap(([file, targets]) => targets.filter((target) => !target.startsWith('core/')).map((target) => `${file} -> ${target}`));
    expect(upward).toEqual([]);
  });

  it('lets only src/core/ import the addon module', () => {
    expect(importersOf(ADDON_MODULE).filter((file) => !file.startsWith('core/'))).toEqual([]);
    expect(importersOf(ADDON_MODULE).length).toBeGreaterThan(0);
  });
});

describe('the circle finder', () => {
  const graphOf = (files: Record<string, string>) => importGraph(new Map(Object.entries(files)));

  it('finds a circle made of type-only imports and re-exports, with a path round it', () => {
    const graph = graphOf({
      'a.ts': "import type { B } from './b';\nexport interface A { b: B }",
      'b.ts': "export { c } from './c.js';\nexport interface B {}",
      'c.ts': "import { a } from './a';\nexport const c = 1;",
      'd.ts': "import './a';",
    });
    expect(circles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });

  it('finds a file that imports itself, and one circle per group of files', () => {
    const graph = graphOf({
      'self.ts': "import { x } from './self';",
      'p/index.ts': "const q = require('../q');",
      'q.ts': "const p = import('./p');",
    });
    expect(circles(graph)).toEqual([['self.ts', 'self.ts'], ['p/index.ts', 'q.ts', 'p/index.ts']]);
  });

  it('finds none in a tree, and refuses an import it cannot resolve', () => {
    expect(circles(graphOf({ 'a.ts': "import './b'; import 'node:fs';", 'b.ts': "import './c';", 'c.ts': '' }))).toEqual([]);
    expect(() => graphOf({ 'a.ts': "import './missing';" })).toThrow("a.ts: './missing' resolves to no source file");
  });
});
