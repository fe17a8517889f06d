// One stream of one run's output, held until it can be printed: in memory up to a small bound,
// then in a temp file, so that a run printing gigabytes costs disk, not memory. The file is
// unlinked as soon as it is open: only our fd keeps it, and nothing is left behind even if we
// are killed.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Past this many bytes in memory, a run's stream goes to a file. */
const SPOOL_MEMORY_BOUND = 256 * 1024;
const READ_CHUNK = 64 * 1024;

/** The temp directory of this command's spool files: made on first use, removed at the end. */
export class SpoolDirectory {
  private directory: string | null = null;
  private next = 0;

  newFile(): string {
    this.directory ??= mkdtempSync(path.join(tmpdir(), 'process-spawner-'));
    return path.join(this.directory, String(this.next++));
  }

  remove(): void {
    if (this.directory !== null) rmSync(this.directory, { recursive: true, force: true });
    this.directory = null;
  }
}

export class Spool {
  private chunks: Buffer[] = [];
  private inMemory = 0;
  private fd: number | null = null;

  constructor(private readonly directory: SpoolDirectory) {}

  get isEmpty(): boolean {
    return this.fd === null && this.chunks.length === 0;
  }

  write(chunk: Buffer): void {
    if (this.fd === null && this.inMemory + chunk.length <= SPOOL_MEMORY_BOUND) {
      this.chunks.push(chunk);
      this.inMemory += chunk.length;
      return;
    }
    if (this.fd === null) this.moveToFile();
    writeAll(this.fd as number, chunk);
  }

  /** The content in order: the memory part, then the file in chunks of at most 64 KiB. */
  *read(): Generator<Buffer> {
    yield* this.chunks;
    if (this.fd === null) return;
    for (let position = 0; ; ) {
      // A fresh buffer each time: the stream it is written to may queue it.
      const buffer = Buffer.allocUnsafe(READ_CHUNK);
      const count = readSync(this.fd, buffer, 0, READ_CHUNK, position);
      if (count === 0) return;
      position += count;
      yield buffer.subarray(0, count);
    }
  }

  /** The whole content, for --json (which asked to keep it). */
  text(): string {
    return Buffer.concat([...this.read()]).toString('utf8');
  }

  /** Forgets what it held; its file goes with the fd. */
  dispose(): void {
    this.chunks = [];
    this.inMemory = 0;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private moveToFile(): void {
    const file = this.directory.newFile();
    this.fd = openSync(file, 'w+');
    unlinkSync(file);
    for (const chunk of this.chunks) writeAll(this.fd, chunk);
    this.chunks = [];
    this.inMemory = 0;
  }
}

/** write(2) until all of `chunk` is written: writeSync may write less than asked. */
export function writeAll(fd: number, chunk: Buffer): void {
  for (let offset = 0; offset < chunk.length; ) offset += writeSync(fd, chunk, offset);
}
