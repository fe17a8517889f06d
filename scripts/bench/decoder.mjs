// FrameDecoder throughput: MB/s for streams of 1 KiB and 1 MiB frames, fed in 64 KiB chunks as a
// pipe delivers them, against the compiled decoder in dist/. npm run bench -- decoder [--quick]
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { interleave, KiB, loadOurs, median, MiB, quick } from './lib.mjs';

const { FrameDecoder, encodeFrame, MessageType } = loadOurs('protocol/index.js');

const CHUNK_SIZE = 64 * KiB;
const STREAM_SIZE = quick ? 32 * MiB : 128 * MiB;
const rounds = quick ? 3 : 9;

/** A stream of whole frames of `payloadSize` bytes, about STREAM_SIZE long, cut into pipe-sized chunks. */
function buildChunks(payloadSize) {
  const frame = encodeFrame(MessageType.TASK_RESULT, 1, Buffer.alloc(payloadSize, 0x5a));
  const frameCount = Math.max(1, Math.floor(STREAM_SIZE / frame.length));
  const stream = Buffer.concat(Array.from({ length: frameCount }, () => frame));
  const chunks = [];
  for (let start = 0; start < stream.length; start += CHUNK_SIZE) chunks.push(stream.subarray(start, start + CHUNK_SIZE));
  return { chunks, frameCount, bytes: stream.length };
}

/** Decodes every chunk, honouring back-pressure; returns MB/s (so `interleave` gets bigger = faster). */
async function decodeAll({ chunks, frameCount, bytes }) {
  const decoder = new FrameDecoder();
  let frames = 0;
  decoder.on('data', () => frames++);
  const ended = once(decoder, 'end');
  const start = performance.now();
  for (const chunk of chunks) {
    if (!decoder.write(chunk)) await once(decoder, 'drain');
  }
  decoder.end();
  await ended;
  const seconds = (performance.now() - start) / 1000;
  if (frames !== frameCount) throw new Error(`decoded ${frames} frames, expected ${frameCount}`);
  return bytes / MiB / seconds;
}

const workloads = [
  { name: '1 KiB frames', data: buildChunks(KiB) },
  { name: '1 MiB frames', data: buildChunks(MiB) },
];
const variants = workloads.map((workload) => ({ name: workload.name, run: () => decodeAll(workload.data) }));

console.log(`FrameDecoder alone: ${STREAM_SIZE / MiB} MiB of frames per round in ${CHUNK_SIZE / KiB} KiB chunks; ${rounds} interleaved rounds after a warm-up round.\n`);
const samples = await interleave(variants, rounds);
console.log('| frames | median MB/s | min-max MB/s | median frames/s |');
console.log('| --- | --- | --- | --- |');
for (const workload of workloads) {
  const values = samples.get(workload.name);
  const framesPerSecond = (median(values) * MiB) / (workload.data.bytes / workload.data.frameCount);
  console.log(
    `| ${workload.name} | ${median(values).toFixed(0)} | ${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)} | ${Math.round(framesPerSecond).toLocaleString('en-US')} |`,
  );
}
console.log('\nMB here is MiB (2^20 bytes).');
