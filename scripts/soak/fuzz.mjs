// Frames fuzzed into a FrameDecoder. A valid stream, cut at random places, must come out frame
// for frame; a corrupted one must end or fail with a FrameError (ERR_FRAME_*), never throw out of
// write(), never hang, never hand out a frame longer than maxFrameSize.
import { FrameDecoder, encodeFrame } from 'process-spawner';

const MAX_FRAME_SIZE = 4096;

function randomFrames(random) {
  return Array.from({ length: random.int(1, 20) }, () => ({
    // Known types, unknown ones below 1000 and reserved ones: all three paths of the decoder.
    type: random.pick([1, 2, 3, 4, 5, 6, 7, 8, random.int(9, 999), random.int(1000, 65535)]),
    sequence: random.int(0, 65535),
    payload: random.bytes(random.pick([0, 1, 7, 8, 100, random.int(0, MAX_FRAME_SIZE - 8)])),
  }));
}

function cut(bytes, random) {
  const chunks = [];
  let offset = 0;
  while (offset < bytes.length) {
    const size = random.pick([1, 2, 7, 8, 9, random.int(1, 512), bytes.length]);
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

/** Flips, drops or inserts a few random bytes. */
function corrupt(bytes, random) {
  const copy = Buffer.from(bytes);
  const flips = random.int(1, 4);
  for (let i = 0; i < flips && copy.length > 0; i++) copy[random.int(0, copy.length - 1)] = random.int(0, 255);
  if (random.next() < 0.3) return copy.subarray(0, random.int(0, copy.length));
  if (random.next() < 0.3) return Buffer.concat([copy, random.bytes(random.int(1, 64))]);
  return copy;
}

function decode(chunks) {
  const decoder = new FrameDecoder({ maxFrameSize: MAX_FRAME_SIZE });
  const frames = [];
  decoder.on('data', (frame) => frames.push(frame));
  decoder.on('unknownFrame', (frame) => frames.push(frame));
  const settled = new Promise((resolve) => {
    decoder.once('end', () => resolve(null));
    decoder.once('error', resolve);
  });
  for (const chunk of chunks) {
    if (decoder.destroyed) break;
    decoder.write(Buffer.from(chunk)); // a copy: the decoder's payloads may be views of it
  }
  if (!decoder.destroyed) decoder.end();
  return { frames, settled };
}

function sameFrames(decoded, expected) {
  return (
    decoded.length === expected.length &&
    decoded.every(
      (frame, i) => frame.type === expected[i].type && frame.sequence === expected[i].sequence && frame.payload.equals(expected[i].payload),
    )
  );
}

/** One round: a valid stream and a corrupted one. Returns the number of frames checked. */
export async function fuzzRound({ random, failures }) {
  const frames = randomFrames(random);
  const bytes = Buffer.concat(frames.map((frame) => encodeFrame(frame.type, frame.sequence, frame.payload)));

  const valid = decode(cut(bytes, random));
  const validError = await withTimeout(valid.settled, 'a valid stream');
  if (validError !== null || !sameFrames(valid.frames, frames)) {
    failures.push(`decoder: a valid stream of ${frames.length} frames came out wrong (${validError})`);
  }

  const broken = decode(cut(corrupt(bytes, random), random));
  const brokenError = await withTimeout(broken.settled, 'a corrupted stream');
  if (brokenError !== null && !String(brokenError.code).startsWith('ERR_FRAME_')) {
    failures.push(`decoder: a corrupted stream failed with ${brokenError}`);
  }
  if (broken.frames.some((frame) => frame.payload.length + 8 > MAX_FRAME_SIZE)) failures.push('decoder: a frame over maxFrameSize');
  return frames.length;
}

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(new Error(`the decoder never ended ${what}`)), 5000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function fuzzLoop({ running, counters, failures, random }) {
  while (running()) {
    counters.frames += await fuzzRound({ random, failures });
    counters.fuzzRounds++;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
