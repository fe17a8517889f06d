import { join } from 'node:path';
import { describe, it } from 'vitest';
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
});

// -I: isolated mode, so the user's site-packages and PYTHON* variables play no part;
// -B: no __pycache__ written into the source tree.
describeWorkerBehaviour('Python', () => ({ file: 'python3', args: ['-I', '-B', join(pythonWorkers, 'echo_worker.py')] }), { exitCode: 74, signal: null });
