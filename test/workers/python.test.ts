import { join } from 'node:path';
import { describe, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leaks';
import { expectVectorProgramToPass } from '../helpers/vector-program';
import { describeWorkerBehaviour } from '../helpers/worker-behaviour';

const pythonWorkers = join(__dirname, '..', '..', 'workers', 'python');

describe('workers/python/process_spawner_worker.py', () => {
  it('passes the shared protocol vectors', () =>
    expectNoLeaks(() => expectVectorProgramToPass('python3', ['-B', join(pythonWorkers, 'vectors_test.py')])));
});

// -I: isolated mode, so the user's site-packages and PYTHON* variables play no part;
// -B: no __pycache__ written into the source tree.
describeWorkerBehaviour('Python', () => ({ file: 'python3', args: ['-I', '-B', join(pythonWorkers, 'echo_worker.py')] }), { exitCode: 74, signal: null });
