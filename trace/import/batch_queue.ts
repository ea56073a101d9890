/**
 * {@linkcode BatchQueue}: where a streaming importer writes its events, batch by batch, so that
 * a trace of any size is converted in constant memory: full batches wait in `ready` until the
 * caller takes them, and batches taken come back for reuse at the next take.
 *
 * @module
 */
import { EventBatch } from "../batch.ts";
import type { Event } from "../event.ts";

/**
 * Batches being filled and batches ready to be written.
 *
 * @example
 * ```ts
 * import { BatchQueue } from "./batch_queue.ts";
 * const q = new BatchQueue(2);
 * for (let i = 1; i <= 3; i++) q.push({ pid: i, op: "exit" });
 * if (q.ready.length !== 1) throw new Error("one full batch");
 * const taken = q.take(); // the full one and the partly filled one
 * if (taken.map((b) => b.length).join() !== "2,1") throw new Error("take");
 * ```
 */
export class BatchQueue {
  /** Full batches not yet taken. */
  readonly ready: EventBatch[] = [];
  #current: EventBatch;
  #spare: EventBatch[] = [];
  #taken: EventBatch[] = [];
  #size: number;

  /** Makes a queue of batches of `batchSize` events (default 4096). */
  constructor(batchSize = 4096) {
    this.#size = batchSize;
    this.#current = new EventBatch(batchSize);
  }

  /** The batch being filled (it may be full: write through {@linkcode BatchQueue.room}). */
  get current(): EventBatch {
    return this.#current;
  }

  /** The batch to write the next event into; a full one moves to `ready` first. */
  room(): EventBatch {
    if (this.#current.full) {
      this.ready.push(this.#current);
      this.#current = this.#spare.pop() ?? new EventBatch(this.#size);
    }
    return this.#current;
  }

  /** Appends one event. */
  push(ev: Event): void {
    this.room().push(ev);
  }

  /**
   * Takes the batches filled so far (and the partly filled one). They stay valid until the next
   * call of `take`, which recycles them.
   */
  take(): EventBatch[] {
    for (const b of this.#taken) {
      b.clear();
      this.#spare.push(b);
    }
    this.#taken.length = 0;
    if (this.#current.length > 0) {
      this.ready.push(this.#current);
      this.#current = this.#spare.pop() ?? new EventBatch(this.#size);
    }
    const out = this.ready.splice(0);
    this.#taken.push(...out);
    return out;
  }
}
