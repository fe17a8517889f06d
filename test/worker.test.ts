import { statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MessageType, decodeWorkerError, encodeFrame } from '../src/protocol';
import { serve } from '../src/worker';
import { expectNoLeaks } from './helpers/leaks';
import { describeWorkerBehaviour } from './helpers/worker-behaviour';
import { WorkerUnderTest, type WorkerCommand } from './helpers/worker-process';

const root = join(__dirname, '..');
const fixture = (name: string, env?: Record<string, string>): WorkerCommand => ({
  file: process.execPath,
  args: [join(root, 'test', 'fixtures', name)],
  ...(env === undefined ? {} : { env }),
});

// The fixtures run the compiled runtime (dist/), as users do; a stale build would test old code.
beforeAll(() => {
  const sources = ['src/worker.ts', 'src/protocol/decoder.ts', 'src/protocol/frame.ts', 'src/protocol/messages.ts'];
  const built = statSync(join(root, 'dist', 'worker.js'), { throwIfNoEntry: false });
  const newest = Math.max(...sources.map((source) => statSync(join(root, source)).mtimeMs));
  if (built === undefined || built.mtimeMs < newest) {
    throw new Error('dist/ is missing or older than src/: run `npm run build:ts` (test/global-setup.ts does it)');
  }
});

/** Starts a worker from a fixture, runs `body`, ends its input and checks its exit and leaks. */
async function withFixture(command: WorkerCommand, body: (worker: WorkerUnderTest) => Promise<void>): Promise<string> {
  return expectNoLeaks(async () => {
    const worker = new WorkerUnderTest(command);
    expect((await worker.next()).type).toBe(MessageType.WORKER_READY);
    await body(worker);
    worker.endInput();
    const outcome = await worker.finished();
    expect({ exitCode: outcome.exit.exitCode, unread: outcome.unreadFrames, outputError: outcome.outputError }).toEqual({
      exitCode: 0,
      unread: [],
      outputError: undefined,
    });
    return outcome.stderr;
  });
}

describeWorkerBehaviour('Node', () => fixture('echo-worker.mjs'), { exitCode: 74, signal: null });

describe('Node worker runtime', () => {
  it('routes console.log and process.stdout.write to stderr, keeping every frame intact', async () => {
    const stderr = await withFixture(fixture('chatty-worker.mjs'), async (worker) => {
      for (let id = 1; id <= 20; id++) worker.send(MessageType.TASK_ASSIGNMENT, id, `payload ${id}`);
      for (let id = 1; id <= 20; id++) {
        const result = await worker.next();
        expect([result.type, result.sequence, result.payload.toString()]).toEqual([
          MessageType.TASK_RESULT,
          id,
          [...`payload ${id}`].reverse().join(''),
        ]);
      }
    });
    expect(stderr).toContain('console.log during task 1\n');
    expect(stderr).toContain('process.stdout.write during task 20\n');
    expect(stderr).toContain("console.info { taskId: 7 }\n");
    expect(stderr).toContain('console.log after an await in task 13\n');
  });

  it.each([
    ['sync-error', 1, 'thrown synchronously'],
    ['async-error', 1, 'rejected after an await'],
    ['coded-error', 7, 'with a code of its own'],
    ['string-code', 1, 'a string code is not a protocol code'],
    ['non-error', 1, 'a bare string'],
    ['empty-message', 1, 'RangeError'],
    ['bad-result', 1, 'Expected the handler to return a Buffer, a Uint8Array or a string, got `42` (number)'],
  ])('answers a %s with WORKER_ERROR code %i and keeps serving', async (failure, code, message) => {
    await withFixture(fixture('throwing-worker.mjs'), async (worker) => {
      worker.send(MessageType.TASK_ASSIGNMENT, 31, failure);
      const answer = await worker.next();
      expect([answer.type, answer.sequence]).toEqual([MessageType.WORKER_ERROR, 31]);
      expect(decodeWorkerError(answer.payload)).toEqual({ code, message });
      worker.send(MessageType.TASK_ASSIGNMENT, 32, 'string-result');
      expect((await worker.next()).payload.toString()).toBe('täst');
    });
  });

  it.each([
    ['no-result', ''],
    ['string-result', Buffer.from('täst').toString('hex')],
    ['uint8array-result', '0203'],
  ])('encodes a handler result of the %s kind', async (kind, hex) => {
    await withFixture(fixture('throwing-worker.mjs'), async (worker) => {
      worker.send(MessageType.TASK_ASSIGNMENT, 1, kind);
      const answer = await worker.next();
      expect([answer.type, answer.payload.toString('hex')]).toEqual([MessageType.TASK_RESULT, hex]);
    });
  });

  it('applies the maxFrameSize option to frames from the parent', async () => {
    await expectNoLeaks(async () => {
      const worker = new WorkerUnderTest(fixture('echo-worker.mjs', { MAX_FRAME_SIZE: '16' }));
      expect((await worker.next()).type).toBe(MessageType.WORKER_READY);
      worker.send(MessageType.TASK_ASSIGNMENT, 1, '12345678');
      expect((await worker.next()).payload.toString()).toBe('12345678');
      worker.sendRaw(encodeFrame(MessageType.TASK_ASSIGNMENT, 2, '123456789'));
      const outcome = await worker.finished();
      expect(outcome.exit.exitCode).toBe(65);
      expect(outcome.stderr).toContain('ERR_FRAME_TOO_LARGE: Frame length 17 exceeds the maximum frame size of 16 bytes');
    });
  });
});

describe('serve() arguments', () => {
  // Validation happens before serve() touches stdout or stdin, so it is safe to call here.
  it('rejects a handler that is not a function', () => {
    expect(() => serve('nope' as never)).toThrow(new TypeError('Expected the handler to be a function, got `"nope"` (string)'));
  });

  it.each([
    [0, RangeError, 'got `0` (number)'],
    [-1, RangeError, 'got `-1` (number)'],
    [Number.NaN, TypeError, 'got `NaN` (number)'],
    ['64', TypeError, 'got `"64"` (string)'],
  ])('rejects maxFrameSize %s', (maxFrameSize, errorClass, got) => {
    const call = () => serve(() => '', { maxFrameSize: maxFrameSize as number });
    expect(call).toThrow(errorClass);
    expect(call).toThrow(`Expected the \`maxFrameSize\` option to be an integer between 8 and 4294967295, ${got}`);
  });
});
