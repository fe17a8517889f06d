// Compiles src/ to dist/ once before the test files run: the Node worker fixtures import the
// runtime the way users do, `import { serve } from 'process-spawner/worker'`, which resolves
// through package.json's exports to dist/worker.js. dist/ is emptied first: tsc leaves the output
// of a moved or deleted source file behind, and a test could pass against such a stale file.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

export default function buildTypeScript(): void {
  const root = join(__dirname, '..');
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], {
    cwd: root,
    stdio: 'inherit',
  });
}
