import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { buildCProgram, createBuildDirectory } from '../helpers/build-c-worker';
import { expectNoLeaks } from '../helpers/leaks';
import { expectVectorProgramToPass } from '../helpers/vector-program';
import { describeWorkerBehaviour } from '../helpers/worker-behaviour';

const buildDirectory = createBuildDirectory();
let echoWorker = '';
let vectorsTest = '';

beforeAll(() => {
  echoWorker = buildCProgram('echo_worker', buildDirectory);
  vectorsTest = buildCProgram('vectors_test', buildDirectory);
});

afterAll(() => rmSync(buildDirectory, { recursive: true, force: true }));

describe('workers/c/protocol.h', () => {
  it('passes the shared protocol vectors', () => expectNoLeaks(() => expectVectorProgramToPass(vectorsTest, [])));
});

describeWorkerBehaviour('C', () => ({ file: echoWorker, args: [] }), { exitCode: null, signal: 'SIGPIPE' });
