/**
 * {@linkcode BatchRing}: the runner's side of the shared batches. The runner decodes a trace once
 * into a ring of {@linkcode EventBatch}es in `SharedArrayBuffer`s and sends every batch to every
 * worker; a slot is decoded into again only when each worker has released it, so a fast worker
 * runs at most a ring's length ahead of the slowest and memory stays bounded (16 batches of 8192
 * events: 7.5 MB) however long the trace is.
 *
 * @module
 */
import { EventBatch } from "../trace/batch.ts";
import type { TraceReader } from "../trace/read.ts";

/** Batches in the ring. */
export const RING_SLOTS = 16;
/** Events per batch. */
export const RING_BATCH = 8192;

/** Where the ring sends its batches (a worker's `postMessage`, in the runner). */
export interface RingConsumer {
  /** Receives batch `slot`: `length` events, with its string table. */
  batch(slot: number, length: number, strings: string[]): void;
  /** No batch follows. */
  end(): void;
}

/**
 * A ring of shared batches feeding several consumers.
 *
 * @example
 * ```ts
 * import { BatchRing } from "./batch_ring.ts";
 * import { EventBatch } from "../trace/batch.ts";
 * import { readTraceBytes } from "../trace/read.ts";
 * const text = "vmtrace 1\n1 mmap 0x1000 8K rw- private,anon\n1 w 0x1000\n1 r 0x2000\n";
 * const reader = await readTraceBytes(new TextEncoder().encode(text), { name: "t.vmt" });
 * const ring = new BatchRing(2, 2);
 * const seen: number[] = [];
 * ring.attach({
 *   batch: (slot, length) => {
 *     const b = new EventBatch(ring.capacity, ring.buffers[slot]);
 *     for (let i = 0; i < length; i++) seen.push(b.page[i]!);
 *     ring.release(slot); // as a worker does once it has replayed the batch
 *   },
 *   end: () => {},
 * });
 * const events = await ring.feed(reader);
 * if (events !== 3 || seen.join() !== "1,1,2") throw new Error("bad ring");
 * ```
 */
export class BatchRing {
  /** The shared buffers, one batch each: sent to every worker once, at its start. */
  readonly buffers: SharedArrayBuffer[];
  /** Events per batch. */
  readonly capacity: number;
  readonly #batches: EventBatch[];
  readonly #refs: Int32Array;
  readonly #free: number[] = [];
  readonly #consumers: RingConsumer[] = [];
  #wake: (() => void) | null = null;

  /** Makes a ring of `slots` batches of `capacity` events. */
  constructor(slots = RING_SLOTS, capacity = RING_BATCH) {
    if (!(Number.isInteger(slots) && slots >= 1 && Number.isInteger(capacity) && capacity >= 1)) {
      throw new RangeError(`BatchRing: bad size (${slots} slots of ${capacity} events)`);
    }
    this.capacity = capacity;
    this.buffers = [];
    this.#batches = [];
    for (let s = 0; s < slots; s++) {
      const buf = new SharedArrayBuffer(EventBatch.byteLength(capacity));
      this.buffers.push(buf);
      this.#batches.push(new EventBatch(capacity, buf));
      this.#free.push(s);
    }
    this.#refs = new Int32Array(slots);
  }

  /** Adds a consumer: it gets every batch fed from now on and must release each. */
  attach(c: RingConsumer): void {
    this.#consumers.push(c);
  }

  /** A consumer is done with batch `slot`. */
  release(slot: number): void {
    if (!(this.#refs[slot]! > 0)) throw new RangeError(`BatchRing: slot ${slot} is not in use`);
    if (--this.#refs[slot]! === 0) {
      this.#free.push(slot);
      const w = this.#wake;
      this.#wake = null;
      w?.();
    }
  }

  /**
   * Decodes `reader`'s events into the ring and sends each batch to every consumer, then `end`.
   * Returns the number of events. Rejects with the reader's error (a malformed trace) or, when
   * `signal` aborts while waiting for a free slot, with its reason; `end` is not sent then.
   */
  async feed(reader: TraceReader, signal?: AbortSignal): Promise<number> {
    let events = 0;
    let pending = -1; // a slot handed to the reader and not yet yielded back
    const supply = async (): Promise<EventBatch> => {
      if (pending < 0) pending = await this.#take(signal);
      return this.#batches[pending]!;
    };
    for await (const b of reader.batches(supply)) {
      const slot = pending;
      pending = -1;
      if (b !== this.#batches[slot]) throw new Error("BatchRing: the reader yielded another batch");
      events += b.length;
      this.#refs[slot] = this.#consumers.length;
      if (this.#consumers.length === 0) this.#free.push(slot);
      for (const c of this.#consumers) c.batch(slot, b.length, b.strings);
    }
    for (const c of this.#consumers) c.end();
    return events;
  }

  /** A free slot, waiting for one when every slot is in use. */
  async #take(signal?: AbortSignal): Promise<number> {
    while (this.#free.length === 0) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal!.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
        this.#wake = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
      });
    }
    signal?.throwIfAborted();
    return this.#free.shift()!;
  }
}
