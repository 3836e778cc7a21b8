/**
 * Gathers the small pieces of a tar stream (512-byte headers, short files)
 * into ~1 MiB chunks, so the writer makes few large writes. File content is
 * read straight into the chunk's free space, without an extra copy.
 */
export const CHUNK_SIZE = 1 << 20;

export class Chunker {
  private buf: Uint8Array = Buffer.allocUnsafe(CHUNK_SIZE);
  private len = 0;

  /** Copies `b` in; returns the chunks that became full (each handed over for good). */
  add(b: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let p = 0;
    while (p < b.length) {
      const take = Math.min(b.length - p, this.buf.length - this.len);
      this.buf.set(b.subarray(p, p + take), this.len);
      this.len += take;
      p += take;
      if (this.len === this.buf.length) out.push(this.take());
    }
    return out;
  }

  /** Appends `n` zero bytes. */
  zeros(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (n > 0) {
      const take = Math.min(n, this.buf.length - this.len);
      this.buf.fill(0, this.len, this.len + take);
      this.len += take;
      n -= take;
      if (this.len === this.buf.length) out.push(this.take());
    }
    return out;
  }

  /** Free space at the end of the current chunk, to read into (at most `max` bytes). */
  space(max: number): Uint8Array {
    return this.buf.subarray(this.len, this.len + Math.min(max, this.buf.length - this.len));
  }

  /** Marks `n` bytes of `space()` as filled; returns the chunk when it became full. */
  commit(n: number): Uint8Array | null {
    this.len += n;
    return this.len === this.buf.length ? this.take() : null;
  }

  /** What is left, or null when empty. */
  flush(): Uint8Array | null {
    return this.len ? this.take() : null;
  }

  private take(): Uint8Array {
    const c = this.buf.subarray(0, this.len);
    this.buf = Buffer.allocUnsafe(CHUNK_SIZE);
    this.len = 0;
    return c;
  }
}
