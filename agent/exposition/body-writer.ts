/**
 * Writes a render body of a known size from two sources: byte ranges of the previous body (copied, adjacent ranges
 * merged into one copy) and new text (consecutive pieces written in one encode).
 */
export class BodyWriter {
  readonly buf: Buffer;
  readonly #prev: Buffer | undefined;
  /** Logical end: everything written plus what is pending. */
  pos = 0;
  #runStart = 0;
  #runEnd = -1;
  #text = '';
  #textBytes = 0;

  constructor(size: number, prev: Buffer | undefined) {
    this.buf = Buffer.allocUnsafe(size);
    this.#prev = prev;
  }

  /** Appends bytes `from`..`to` of the previous body. */
  copy(from: number, to: number): void {
    if (from === to) return;
    if (this.#text !== '') this.#flushText();
    if (from === this.#runEnd) {
      this.#runEnd = to;
    } else {
      this.#flushRun();
      this.#runStart = from;
      this.#runEnd = to;
    }
    this.pos += to - from;
  }

  /** Appends text whose UTF-8 length is `bytes`. */
  write(text: string, bytes: number): void {
    if (this.#runEnd >= 0) this.#flushRun();
    this.#text += text;
    this.#textBytes += bytes;
    this.pos += bytes;
  }

  /** Writes what is pending and returns the body (which must be full). */
  finish(): Buffer {
    this.#flushRun();
    this.#flushText();
    if (this.pos !== this.buf.length) throw new Error(`render body: ${this.pos} bytes written of ${this.buf.length}`);
    return this.buf;
  }

  #flushRun(): void {
    if (this.#runEnd < 0) return;
    const n = this.#runEnd - this.#runStart;
    this.#prev!.copy(this.buf, this.pos - n, this.#runStart, this.#runEnd);
    this.#runEnd = -1;
  }

  #flushText(): void {
    if (this.#text === '') return;
    this.buf.write(this.#text, this.pos - this.#textBytes);
    this.#text = '';
    this.#textBytes = 0;
  }
}
