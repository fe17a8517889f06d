import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { expectFdWorkerToWriteThroughTheFd } from '../helpers/fd-worker';
import { expectNoLeaks } from '../helpers/leaks';
import { expectVectorProgramToPass } from '../helpers/vector-program';
import { describeWorkerBehaviour } from '../helpers/worker-behaviour';

const pythonWorkers = join(__dirname, '..', '..', 'workers', 'python');

describe('workers/python/process_spawner_worker.py', () => {
  it('passes the shared protocol vectors', () =>
    expectNoLeaks(() => expectVectorProgramToPass('python3', ['-B', join(pythonWorkers, 'vectors_test.py')])));

  it('read_frame_with_fds: a task with a file fd from sendFds() over a socket stdin (fd_worker.py writes through it)', () =>
    expectFdWorkerToWriteThroughTheFd('python3', ['-I', '-B', join(pythonWorkers, 'fd_worker.py')]));

  // docs/protocol.md's other example is a fragment of a worker; this one runs whole.
  it('the example of docs/protocol.md section 10 (passing file descriptors) runs as shown', async () => {
    const root = join(__dirname, '..', '..');
    const section = readFileSync(join(root, 'docs', 'protocol.md'), 'utf8').split('## 10. Passing file descriptors')[1] ?? '';
    const [, code = '', shown = ''] = /```js\n([\s\S]*?)```\s*```text\n([\s\S]*?)```/.exec(section) ?? [];
    const { stdout, stderr } = await expectNoLeaks(() => promisify(execFile)(process.execPath, ['-e', code], { cwd: root, timeout: 20_000 }));
    expect({ stdout, stderr }).toEqual({ stdout: shown, stderr: '' });
  });
});

// -I: isolated mode, so the user's site-packages and PYTHON* variables play no part;
// -B: no __pycache__ written into the source tree.
describeWorkerBehaviour('Python', () => ({ file: 'python3', args: ['-I', '-B', join(pythonWorkers, 'echo_worker.py')] }), { exitCode: 74, signal: null });
