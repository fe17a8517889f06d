// The behaviour every worker runtime (Node, C, Python) shares, run against its echo worker. The
// echo workers understand the same commands: error:<text>, crash, sleep:<ms>, big:<n>, print:<text>.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MessageType, decodeStatusResponse, decodeWorkerError, encodeFrame, type Frame } from '../../src/protocol';
import { patternBytes } from './decode';
import { expectNoLeaks } from './leaks';
import { WorkerUnderTest, type WorkerCommand } from './worker-process';

const MiB = 1024 * 1024;

/** Bytes 0, 1, ..., 250, 0, 1, ...: what the echo workers answer to big:<n>. */
export function bigResult(length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let index = 0; index < length; index++) bytes[index] = index % 251;
  return bytes;
}

function summary(frame: Frame): [number, number, string] {
  return [frame.type, frame.sequence, frame.payload.toString('hex')];
}

/**
 * How a runtime ends when the parent closes the frame channel: Node and Python ignore SIGPIPE
 * and exit 74 on EPIPE; a C worker keeps the default SIGPIPE disposition and dies of it.
 */
export type ClosedChannelExit = { exitCode: 74; signal: null } | { exitCode: null; signal: 'SIGPIPE' };

export function describeWorkerBehaviour(runtime: string, command: () => WorkerCommand, closedChannelExit: ClosedChannelExit): void {
  // Workers run in a directory of their own, so a crash test's core file (if cores are enabled) lands there.
  const workDirectory = mkdtempSync(join(tmpdir(), `process-spawner-${runtime}-`));
  afterAll(() => rmSync(workDirectory, { recursive: true, force: true }));

  /** Starts a worker, runs `body` with it, and checks that nothing leaked. */
  const withWorker = (body: (worker: WorkerUnderTest) => Promise<void>) =>
    expectNoLeaks(async () => {
      const worker = new WorkerUnderTest(command(), workDirectory);
      try {
        await body(worker);
      } finally {
        if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
        await worker.finished();
      }
    });

  const expectReady = async (worker: WorkerUnderTest) => {
    expect(summary(await worker.next())).toEqual([MessageType.WORKER_READY, 0, '']);
  };

  describe(`${runtime} worker`, () => {
    it('sends WORKER_READY first, with an empty payload and sequence 0', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.endInput();
        const outcome = await worker.finished();
        expect(outcome.exit.exitCode).toBe(0);
        expect(outcome.unreadFrames).toEqual([]);
      }));

    it('answers each task with TASK_RESULT carrying the task id, in order', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        const tasks: Array<[number, Buffer]> = [
          [1, Buffer.from('hello')],
          [65535, Buffer.alloc(0)],
          [0, Buffer.from([0, 0xff, 0x80, 0x0a, 0x00])],
          [7, Buffer.from('é✗ utf-8')],
        ];
        for (const [id, payload] of tasks) worker.send(MessageType.TASK_ASSIGNMENT, id, payload);
        for (const [id, payload] of tasks) {
          expect(summary(await worker.next())).toEqual([MessageType.TASK_RESULT, id, payload.toString('hex')]);
        }
      }));

    it('answers a failing task with WORKER_ERROR (its code and message) and keeps serving', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.send(MessageType.TASK_ASSIGNMENT, 3, 'error:it went wrong é');
        const failure = await worker.next();
        expect([failure.type, failure.sequence]).toEqual([MessageType.WORKER_ERROR, 3]);
        expect(decodeWorkerError(failure.payload)).toEqual({ code: 42, message: 'it went wrong é' });
        worker.send(MessageType.TASK_ASSIGNMENT, 4, 'still here');
        expect(summary(await worker.next())).toEqual([MessageType.TASK_RESULT, 4, Buffer.from('still here').toString('hex')]);
      }));

    it('answers STATUS_QUERY with the tasks answered so far (results and errors), echoing the ping id', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        const ping = async (id: number) => {
          worker.send(MessageType.STATUS_QUERY, id);
          const response = await worker.next();
          expect([response.type, response.sequence]).toEqual([MessageType.STATUS_RESPONSE, id]);
          return decodeStatusResponse(response.payload);
        };
        expect(await ping(513)).toBe(0);
        worker.send(MessageType.TASK_ASSIGNMENT, 1, 'a');
        worker.send(MessageType.TASK_ASSIGNMENT, 2, 'error:b');
        expect((await worker.next()).type).toBe(MessageType.TASK_RESULT);
        expect((await worker.next()).type).toBe(MessageType.WORKER_ERROR);
        expect(await ping(65535)).toBe(2);
        expect(await ping(0)).toBe(2);
      }));

    it('finishes the current task on SHUTDOWN_REQUEST, then sends SHUTDOWN_ACK and exits 0', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.sendRaw(Buffer.concat([encodeFrame(MessageType.TASK_ASSIGNMENT, 9, 'sleep:50'), encodeFrame(MessageType.SHUTDOWN_REQUEST, 0)]));
        expect(summary(await worker.next())).toEqual([MessageType.TASK_RESULT, 9, Buffer.from('sleep:50').toString('hex')]);
        expect(summary(await worker.next())).toEqual([MessageType.SHUTDOWN_ACK, 0, '']);
        const outcome = await worker.finished();
        expect(outcome.exit).toMatchObject({ exitCode: 0, signal: null });
        expect(outcome.unreadFrames).toEqual([]);
      }));

    it('exits 0 when stdin ends, without sending anything more', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.send(MessageType.TASK_ASSIGNMENT, 1, 'last');
        worker.endInput();
        expect((await worker.next()).type).toBe(MessageType.TASK_RESULT);
        const outcome = await worker.finished();
        expect(outcome.exit).toMatchObject({ exitCode: 0, signal: null });
        expect(outcome.unreadFrames).toEqual([]);
        expect(outcome.outputError).toBeUndefined();
      }));

    it('answers every task sent before stdin ended, a slow one first, then exits 0', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.sendRaw(Buffer.concat([encodeFrame(MessageType.TASK_ASSIGNMENT, 1, 'sleep:100'), encodeFrame(MessageType.TASK_ASSIGNMENT, 2, 'after')]));
        worker.endInput();
        expect(summary(await worker.next())).toEqual([MessageType.TASK_RESULT, 1, Buffer.from('sleep:100').toString('hex')]);
        expect(summary(await worker.next())).toEqual([MessageType.TASK_RESULT, 2, Buffer.from('after').toString('hex')]);
        const outcome = await worker.finished();
        expect(outcome.exit).toMatchObject({ exitCode: 0, signal: null });
        expect(outcome.unreadFrames).toEqual([]);
      }));

    it('skips frames of unknown and reserved types, reports them on stderr, and keeps serving', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.send(9, 1, 'unknown');
        worker.send(1000, 2, 'reserved');
        worker.send(MessageType.TASK_RESULT, 3, 'a type only workers send');
        worker.send(MessageType.TASK_ASSIGNMENT, 4, 'after');
        expect(summary(await worker.next())).toEqual([MessageType.TASK_RESULT, 4, Buffer.from('after').toString('hex')]);
        worker.endInput();
        const outcome = await worker.finished();
        expect(outcome.exit.exitCode).toBe(0);
        expect(outcome.stderr).toContain('skipped a frame of unexpected type 9 (sequence 1)');
        expect(outcome.stderr).toContain('skipped a frame of reserved type 1000 (sequence 2)');
        expect(outcome.stderr).toContain('skipped a frame of unexpected type 2 (sequence 3)');
      }));

    it('exits 65 when the parent sends a frame shorter than its header', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.sendRaw(Buffer.from('0000000300010001', 'hex'));
        const outcome = await worker.finished();
        expect(outcome.exit.exitCode).toBe(65);
        expect(outcome.stderr).toContain('ERR_FRAME_TOO_SHORT');
        expect(outcome.unreadFrames).toEqual([]);
      }));

    it('exits 65 when the parent announces a frame above 64 MiB', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.sendRaw(Buffer.from('0400000100010001', 'hex'));
        const outcome = await worker.finished();
        expect(outcome.exit.exitCode).toBe(65);
        expect(outcome.stderr).toContain('ERR_FRAME_TOO_LARGE');
      }));

    it('exits 65 when stdin ends inside a frame', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.sendRaw(encodeFrame(MessageType.TASK_ASSIGNMENT, 1, 'cut short').subarray(0, 12));
        worker.endInput();
        const outcome = await worker.finished();
        expect(outcome.exit.exitCode).toBe(65);
        expect(outcome.stderr).toContain('ERR_FRAME_TRUNCATED');
        expect(outcome.unreadFrames).toEqual([]);
      }));

    it('sends an 8 MiB result intact', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.send(MessageType.TASK_ASSIGNMENT, 2, `big:${8 * MiB}`);
        worker.send(MessageType.TASK_ASSIGNMENT, 3, 'after the big one');
        const result = await worker.next();
        expect([result.type, result.sequence, result.payload.length]).toEqual([MessageType.TASK_RESULT, 2, 8 * MiB]);
        expect(result.payload.equals(bigResult(8 * MiB))).toBe(true);
        expect(summary(await worker.next())).toEqual([MessageType.TASK_RESULT, 3, Buffer.from('after the big one').toString('hex')]);
      }));

    it('echoes an 8 MiB task intact while both pipes are full', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        const payload = patternBytes(8 * MiB + 3, 11);
        worker.send(MessageType.TASK_ASSIGNMENT, 1, payload);
        worker.send(MessageType.TASK_ASSIGNMENT, 2, payload);
        for (const id of [1, 2]) {
          const result = await worker.next();
          expect([result.type, result.sequence, result.payload.length]).toEqual([MessageType.TASK_RESULT, id, payload.length]);
          expect(result.payload.equals(payload)).toBe(true);
        }
      }));

    it('answers 2000 pipelined tasks in order', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        const count = 2000;
        worker.sendRaw(Buffer.concat(Array.from({ length: count }, (_, id) => encodeFrame(MessageType.TASK_ASSIGNMENT, id, `task ${id}`))));
        const answers: string[] = [];
        for (let id = 0; id < count; id++) {
          const result = await worker.next();
          answers.push(`${result.type} ${result.sequence} ${result.payload.toString()}`);
        }
        expect(answers).toEqual(Array.from({ length: count }, (_, id) => `${MessageType.TASK_RESULT} ${id} task ${id}`));
        worker.send(MessageType.STATUS_QUERY, 1);
        expect(decodeStatusResponse((await worker.next()).payload)).toBe(count);
      }));

    it('keeps what the handler prints to stdout out of the frames', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.send(MessageType.TASK_ASSIGNMENT, 5, 'print:a line for the log');
        expect(summary(await worker.next())).toEqual([MessageType.TASK_RESULT, 5, Buffer.from('print:a line for the log').toString('hex')]);
        worker.endInput();
        const outcome = await worker.finished();
        expect(outcome.exit.exitCode).toBe(0);
        expect(outcome.stderr).toContain('a line for the log\n');
        expect(outcome.outputError).toBeUndefined();
      }));

    it('stops when the parent closes its end of the frame channel', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.closeOutput();
        worker.send(MessageType.TASK_ASSIGNMENT, 1, `big:${1024 * 1024}`);
        const outcome = await worker.finished();
        expect(outcome.exit).toMatchObject(closedChannelExit);
      }));

    it('dies of SIGABRT on the crash command, leaving no frame half-written', () =>
      withWorker(async (worker) => {
        await expectReady(worker);
        worker.send(MessageType.TASK_ASSIGNMENT, 1, 'crash');
        const outcome = await worker.finished();
        expect(outcome.exit).toMatchObject({ exitCode: null, signal: 'SIGABRT' });
        expect(outcome.unreadFrames).toEqual([]);
        expect(outcome.outputError).toBeUndefined();
      }));
  });
}
