/**
 * Byte regions for the history's open chunks, carved from shared 64 KiB pages instead of one typed array each: a
 * typed array costs ~180 bytes of objects (the view and its buffer) before its first byte, more than most open
 * chunks hold. Regions come in sizes of 16-byte steps up to MAX_REGION_BYTES; a freed region goes on its size's free
 * list and the next region of that size reuses it (a series' next chunk is usually the size of its last one).
 * Pages are kept while the arena lives; they hold at most what the open chunks held at their peak, which the
 * history's byte bound limits.
 */

const PAGE_BYTES = 1 << 16;
const STEP = 16;
/** Larger regions are not carved (the caller makes a typed array of its own). */
export const MAX_REGION_BYTES = 2048;

export class ByteArena {
  readonly #pages: Uint8Array[] = [];
  /** Per size class (bytes / STEP − 1): freed regions, by handle (page × PAGE_BYTES + offset). */
  readonly #free: number[][] = Array.from({ length: MAX_REGION_BYTES / STEP }, () => []);
  /** Per size class: the next region to carve from the class's newest page (−1: none). */
  readonly #carve: number[] = new Array<number>(MAX_REGION_BYTES / STEP).fill(-1);

  /** Pages held, in bytes. */
  get bytes(): number {
    return this.#pages.length * PAGE_BYTES;
  }

  /** The size a request of `bytes` gets (a multiple of 16), or 0 when it is too large to carve. */
  static regionSize(bytes: number): number {
    const size = Math.max(STEP, Math.ceil(bytes / STEP) * STEP);
    return size > MAX_REGION_BYTES ? 0 : size;
  }

  /** A zeroed region of `size` bytes (a `regionSize`); returns its handle. */
  alloc(size: number): number {
    const c = size / STEP - 1;
    const free = this.#free[c]!;
    let h: number;
    if (free.length > 0) {
      h = free.pop()!;
      this.page(h).fill(0, h % PAGE_BYTES, (h % PAGE_BYTES) + size);
      return h;
    }
    h = this.#carve[c]!;
    if (h < 0) {
      h = this.#pages.length * PAGE_BYTES;
      this.#pages.push(new Uint8Array(PAGE_BYTES));
    }
    // The next region of this size, while one more fits on the same page.
    const next = h + size;
    this.#carve[c] = Math.floor(next / PAGE_BYTES) === Math.floor(h / PAGE_BYTES) && (next % PAGE_BYTES) + size <= PAGE_BYTES ? next : -1;
    return h;
  }

  /** Gives a region of `size` bytes back; its handle must not be used after. */
  free(h: number, size: number): void {
    this.#free[size / STEP - 1]!.push(h);
  }

  /** The page that holds region `h` (its bytes start at `h % 65536`). */
  page(h: number): Uint8Array {
    return this.#pages[Math.floor(h / PAGE_BYTES)]!;
  }

  static offset(h: number): number {
    return h % PAGE_BYTES;
  }
}
