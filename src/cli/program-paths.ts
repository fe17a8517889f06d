// The runs of a pool exec the same few programs thousands of times. Given a bare name, execvp
// tries each PATH directory in turn, and under vfork we wait for every failed execve of the
// child (with a long PATH, several per run, about 15 % of a run of `true`). So each name is looked
// up once, as execvp would find it (the first regular file we may execute), and the runs exec
// that path, with argv[0] still the name as written. A name not found is left to execvp, which
// then reports the error as it would have.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export class ProgramPaths {
  private readonly found = new Map<string, string>();

  resolve(file: string, pathVariable: string | undefined): string {
    if (file.includes('/')) return file;
    const known = this.found.get(file);
    if (known !== undefined) return known;
    const resolved = search(file, pathVariable ?? '/usr/bin:/bin') ?? file;
    this.found.set(file, resolved);
    return resolved;
  }
}

function search(file: string, pathVariable: string): string | null {
  for (const directory of pathVariable.split(':')) {
    // An empty entry is the working directory, as for execvp.
    const candidate = path.join(directory === '' ? '.' : directory, file);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return path.isAbsolute(candidate) ? candidate : path.resolve(candidate);
    } catch {
      // Not there, or not ours to run: execvp would go on to the next directory too.
    }
  }
  return null;
}
