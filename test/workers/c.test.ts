import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { buildCProgram, createBuildDirectory } from '../helpers/build-c-worker';
import { expectFdWorkerToWriteThroughTheFd } from '../helpers/fd-worker';
import { expectNoLeaks } from '../helpers/leaks';
import { expectVectorProgramToPass } from '../helpers/vector-program';
import { describeWorkerBehaviour } from '../helpers/worker-behaviour';

const buildDirectory = createBuildDirectory();
let echoWorker = '';
let vectorsTest = '';
let fdWorker = '';

beforeAll(() => {
  echoWorker = buildCProgram('echo_worker', buildDirectory);
  vectorsTest = buildCProgram('vectors_test', buildDirectory);
  fdWorker = buildCProgram('fd_worker', buildDirectory);
});

afterAll(() => rmSync(buildDirectory, { recursive: true, force: true }));

describe('workers/c/protocol.h', () => {
  it('passes the shared protocol vectors', () => expectNoLeaks(() => expectVectorProgramToPass(vectorsTest, [])));

  it('ps_read_frame_with_fds: a task with a file fd from sendFds() over a socket stdin (fd_worker.c writes through it)', () =>
    expectFdWorkerToWriteThroughTheFd(fdWorker, []));
});

describeWorkerBehaviour('C', () => ({ file: echoWorker, args: [] }), { exitCode: null, signal: 'SIGPIPE' });
