// The import graph of TypeScript sources, read with TypeScript's own pre-processor: every
// `import`, `import type`, `export ... from`, `require()` and `import()` with a relative
// specifier is an edge, type-only ones included (a type that goes round a circle is still a
// circle for the reader). A specifier that resolves to no file is an error, not a missing edge.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Each file's path (relative to the root, with `/`) and the files it imports. */
export type ImportGraph = Map<string, string[]>;

/** Every .ts file under `directory`, by its path relative to `directory`, with its text. */
export function readSources(directory: string): Map<string, string> {
  const sources = new Map<string, string>();
  for (const entry of readdirSync(directory, { recursive: true, encoding: 'utf8' }).sort()) {
    if (entry.endsWith('.ts')) sources.set(entry.split(path.sep).join('/'), readFileSync(path.join(directory, entry), 'utf8'));
  }
  return sources;
}

export function importGraph(sources: ReadonlyMap<string, string>): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const [file, text] of sources) {
    const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName);
    const targets = specifiers.filter((specifier) => specifier.startsWith('.')).map((specifier) => resolve(file, specifier, sources));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

// './spawn', './spawn.js' (nodenext style) or './pool' (its index.ts), as TypeScript resolves them.
function resolve(from: string, specifier: string, sources: ReadonlyMap<string, string>): string {
  const base = path.posix.join(path.posix.dirname(from), specifier).replace(/\.js$/, '');
  const found = [`${base}.ts`, `${base}/index.ts`].find((candidate) => sources.has(candidate));
  if (found === undefined) throw new Error(`${from}: '${specifier}' resolves to no source file`);
  return found;
}

/**
 * Every circle: for each group of files that reach one another (a strongly connected component,
 * Tarjan's algorithm), one path round it, `a.ts -> b.ts -> a.ts`.
 */
export function circles(graph: ImportGraph): string[][] {
  const order = new Map<string, number>();
  const lowest = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];

  const visit = (file: string): void => {
    order.set(file, order.size);
    lowest.set(file, order.get(file) as number);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!order.has(target)) {
        visit(target);
        lowest.set(file, Math.min(lowest.get(file) as number, lowest.get(target) as number));
      } else if (onStack.has(target)) {
        lowest.set(file, Math.min(lowest.get(file) as number, order.get(target) as number));
      }
    }
    if (lowest.get(file) !== order.get(file)) return;
    const component = new Set<string>();
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.add(member);
    } while (member !== file);
    if (component.size > 1 || (graph.get(file) ?? []).includes(file)) found.push(pathRound(file, component, graph));
  };
  for (const file of graph.keys()) if (!order.has(file)) visit(file);
  return found;
}

// A shortest path from `start` back to itself inside its component (breadth first).
function pathRound(start: string, component: ReadonlySet<string>, graph: ImportGraph): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const target of graph.get(file) ?? []) {
      if (!component.has(target)) continue;
      if (target === start) {
        const route = [start];
        for (let step: string | undefined = file; step !== start && step !== undefined; step = cameFrom.get(step)) route.splice(1, 0, step);
        return [...route, start];
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, file);
        queue.push(target);
      }
    }
  }
  return [start, start];
}
