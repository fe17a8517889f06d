// --pipe and --pipepart: the input cut into blocks of whole records, each the stdin of one run.
// A record ends with --recend (default a newline) where the next begins with --recstart (default
// nothing); a block is the records that fit in --block bytes (default 1 MiB), or -N n records;
// --pipepart cuts where parallel does: at the first record end once a block has its size. The
// input is streamed: the reader pauses while a cut block waits for a free slot, so what is held
// is the slots times the block size, plus one read's worth (64 KiB from stdin, 1 MiB from the
// --pipepart file): every block that read completes is cut at once, and waits.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { PipeSettings } from './args';

export class BlockReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly separator: Buffer;
  private readonly source: Readable;
  private ended = false;

  constructor(
    private readonly settings: PipeSettings,
    private readonly onBlock: (block: Buffer) => void,
    private readonly onEnd: (error: NodeJS.ErrnoException | null) => void,
  ) {
    this.separator = Buffer.from(settings.recend + settings.recstart);
    this.source = settings.file === null ? process.stdin : createReadStream(settings.file, { highWaterMark: 1024 * 1024 });
    this.source.on('data', (chunk: Buffer) => this.add(chunk));
    this.source.once('end', () => this.finish(null));
    this.source.once('error', (error: NodeJS.ErrnoException) => this.finish(error));
  }

  pause(): void {
    this.source.pause();
  }

  resume(): void {
    if (!this.ended) this.source.resume();
  }

  /** Stops reading (an interrupt): what is not cut yet is dropped. */
  stop(): void {
    this.ended = true;
    this.chunks = [];
    this.source.destroy();
  }

  private add(chunk: Buffer): void {
    if (this.ended) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.settings.records === null && this.buffered < this.settings.blockBytes) return;
    this.cutBlocks(false);
  }

  private finish(error: NodeJS.ErrnoException | null): void {
    if (this.ended) return;
    if (error === null) this.cutBlocks(true);
    this.ended = true;
    this.onEnd(error);
  }

  // Cuts every whole block out of what is buffered; at the end, what is left is the last one.
  private cutBlocks(atEnd: boolean): void {
    let data = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
    for (;;) {
      const cut = this.cutPoint(data);
      if (cut === null) break;
      this.onBlock(data.subarray(0, cut));
      data = data.subarray(cut);
    }
    if (atEnd && data.length > 0) {
      this.onBlock(data);
      data = Buffer.alloc(0);
    }
    // A copy: the rest must not keep the whole buffer it was cut from alive.
    this.chunks = data.length === 0 ? [] : [Buffer.from(data)];
    this.buffered = data.length;
  }

  // Where the first block of `data` ends, or null when it holds no whole block yet.
  private cutPoint(data: Buffer): number | null {
    const { records, blockBytes, recend } = this.settings;
    if (records !== null) return this.afterRecords(data, records);
    if (data.length < blockBytes) return null;
    // As parallel cuts them: --pipepart ends a block with the record that reaches --block bytes,
    // --pipe with the last record that fits (one longer than the block is a block of its own).
    const minimum = recend.length > 0 ? 0 : 1;
    if (this.settings.file === null) {
      const last = data.lastIndexOf(this.separator, Math.max(0, blockBytes - this.separator.length));
      if (last >= minimum) return last + recend.length;
    }
    // --pipepart (and a record longer than the block): the first record end from the block size on.
    const at = data.indexOf(this.separator, Math.max(minimum, this.settings.file === null ? blockBytes - recend.length : blockBytes));
    return at < 0 ? null : at + recend.length;
  }

  private afterRecords(data: Buffer, records: number): number | null {
    const recendLength = this.settings.recend.length;
    let cut = 0;
    for (let found = 0; found < records; found++) {
      // With no --recend, a boundary is where a --recstart begins: never at the block's start.
      const at = data.indexOf(this.separator, recendLength > 0 ? cut : cut + 1);
      if (at < 0) return null;
      cut = at + recendLength;
    }
    return cut;
  }
}
