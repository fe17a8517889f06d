// Compiled with strict and module nodenext against the packed .d.ts files: what a TypeScript
// user relies on. Each @ts-expect-error fails the compile if that misuse stopped being an error,
// which also catches a declaration that degraded to `any` (skipLibCheck hides errors inside
// .d.ts files, never their effect here; tsc already checked the sources they come from).
import { spawn, run, Pool, type ExitInfo, type PoolEventMap, type SpawnError } from 'process-spawner';
import { serve } from 'process-spawner/worker';
import { execFile } from 'process-spawner/child_process';

const child = spawn('echo', ['hi'], { stdio: ['ignore', 'pipe', 'inherit'] });
child.on('spawn', () => console.log('pid', child.pid));
child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => console.log(code, signal));
child.once('close', (code, signal) => console.log(code?.toFixed(0), signal?.toLowerCase()));
child.on('error', (error: SpawnError) => console.log(error.code, error.errno, error.syscall));
// @ts-expect-error: the exit code is a number or null, not a string
child.on('exit', (code: string) => code);
// @ts-expect-error: there is no 'exited' event (exited is a promise)
child.on('exited', () => undefined);
const info: ExitInfo = await child.exited;
console.log(info.status, info.rusage?.maxRssKiB);

const result = await run('echo', ['typed'], { timeout: 1000 });
const text: string = result.stdout;
console.log(text);

const pool = new Pool({ command: 'node', args: ['worker.mjs'], size: 1 });
const onCrash = (...[event]: PoolEventMap['crash']) => console.log(event.reason);
pool.on('crash', onCrash);
const answer: Buffer = await pool.run('task');
console.log(answer);

serve((payload: Buffer) => payload.toString().toUpperCase());
execFile('echo', ['x'], (error, stdout) => console.log(error?.code, stdout));
