// The environment the package tests run npm, node-gyp and the install script in.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * This environment without npm's own variables: an enclosing `npm test` would leak its settings
 * (npm_config_nodedir from a user's .npmrc, say) into the installs and builds under test.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));
  return { ...env, ...extra };
}

/** npm's own node-gyp, which npm names in npm_config_node_gyp for its scripts. */
export function npmNodeGyp(): string {
  const named = process.env['npm_config_node_gyp'];
  if (named !== undefined && existsSync(named)) return named;
  const globalRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', env: cleanEnv() }).trim();
  return path.join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
}
