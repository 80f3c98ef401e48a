// Tensors stored outside the model file (ONNX external data), kept out of memory: a tensor
// is read from its file range when asked for and not cached, a replaced tensor of 1 MiB
// or more is spilled to a temporary file, and the output's data file is written tensor by
// tensor. Memory then follows the largest layers, not the model (models over 2 GB must
// use external data: protobuf cannot hold them).
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TensorProto } from "./proto.js";

interface FileRange {
  path: string;
  offset: number;
  length: number;
}

/** Replacements this small stay in memory; larger ones go to the spill file. */
const SPILL_BYTES = 1 << 20;
/** Copy chunk when streaming a tensor into the output. */
const CHUNK_BYTES = 16 << 20;

function readRange(range: FileRange, into?: Uint8Array, at = 0, length = range.length): Uint8Array {
  const bytes = into ?? Buffer.allocUnsafe(length);
  const fd = openSync(range.path, "r");
  try {
    let done = 0;
    while (done < length) {
      const read = readSync(fd, bytes, done, length - done, range.offset + at + done);
      if (read === 0) throw new Error(`${range.path}: ended ${length - done} bytes early`);
      done += read;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

export class ExternalStore {
  /** Bytes read from files so far, and the most held in memory at once (for tests and benchmarks). */
  bytesRead = 0;
  peakHeldBytes = 0;
  private ranges = new Map<TensorProto, FileRange>();
  private inMemory = new Map<TensorProto, Uint8Array>();
  private spill?: { path: string; fd: number; size: number };

  /** A tensor's bytes live in `path` at [offset, offset + length). */
  addRange(tensor: TensorProto, path: string, offset: number, length: number): void {
    this.ranges.set(tensor, { path, offset, length });
  }

  has(tensor: TensorProto): boolean {
    return this.ranges.has(tensor) || this.inMemory.has(tensor);
  }

  get size(): number {
    return new Set([...this.ranges.keys(), ...this.inMemory.keys()]).size;
  }

  /** Byte length, without reading anything. */
  byteLength(tensor: TensorProto): number | undefined {
    return this.inMemory.get(tensor)?.byteLength ?? this.ranges.get(tensor)?.length;
  }

  /** The tensor's bytes, read now (a fresh buffer the caller may keep or drop). */
  get(tensor: TensorProto): Uint8Array | undefined {
    const held = this.inMemory.get(tensor);
    if (held) return held;
    const range = this.ranges.get(tensor);
    if (!range) return undefined;
    this.bytesRead += range.length;
    return readRange(range);
  }

  /** New bytes for a tensor (after slicing); large ones are spilled to disk. */
  set(tensor: TensorProto, bytes: Uint8Array): void {
    this.inMemory.delete(tensor);
    this.ranges.delete(tensor);
    if (bytes.byteLength < SPILL_BYTES) {
      this.inMemory.set(tensor, bytes);
      const held = [...this.inMemory.values()].reduce((s, b) => s + b.byteLength, 0);
      this.peakHeldBytes = Math.max(this.peakHeldBytes, held);
      return;
    }
    if (!this.spill) {
      const path = join(tmpdir(), `onnx-thin-${process.pid}-${Date.now()}.spill`);
      this.spill = { path, fd: openSync(path, "w+"), size: 0 };
    }
    writeSync(this.spill.fd, bytes, 0, bytes.byteLength, this.spill.size);
    this.ranges.set(tensor, { path: this.spill.path, offset: this.spill.size, length: bytes.byteLength });
    this.spill.size += bytes.byteLength;
  }

  /** Another tensor with the same bytes (a private copy of a shared parameter). */
  alias(copy: TensorProto, original: TensorProto): void {
    const range = this.ranges.get(original);
    if (range) this.ranges.set(copy, range);
    const held = this.inMemory.get(original);
    if (held) this.inMemory.set(copy, held);
  }

  /** Streams the tensor's bytes into an open file at `position`, a chunk at a time. */
  writeTo(tensor: TensorProto, fd: number, position: number): void {
    const held = this.inMemory.get(tensor);
    if (held) {
      writeSync(fd, held, 0, held.byteLength, position);
      return;
    }
    const range = this.ranges.get(tensor)!;
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, range.length));
    for (let done = 0; done < range.length; done += chunk.byteLength) {
      const length = Math.min(chunk.byteLength, range.length - done);
      readRange(range, chunk, done, length);
      writeSync(fd, chunk, 0, length, position + done);
    }
  }

  get spilled(): boolean {
    return this.spill !== undefined;
  }

  /** Removes the spill file. The store must not be read afterwards. */
  close(): void {
    if (!this.spill) return;
    closeSync(this.spill.fd);
    rmSync(this.spill.path, { force: true });
    this.spill = undefined;
  }
}
