/**
 * The worker behind {@linkcode replayTrace}: replays one trace through one strategy. It does not
 * read the trace: the runner decodes it once, in its own thread, into a ring of batches in shared
 * memory, and sends each worker the batches in order ({@linkcode WorkerRequest}); the worker hands
 * each one back (`release`) once replayed. Decoding and replaying thus run side by side, and a
 * trace is decoded once however many strategies replay it. The worker answers with progress
 * messages and then its {@linkcode StrategyResult} (or an error).
 *
 * Started as `new Worker(new URL("./replay_worker.ts", import.meta.url), { type: "module" })`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { EventBatch } from "../trace/batch.ts";
import { ReplayLimitError, replayStrategy, type StrategyReplayOptions } from "./replay_strategy.ts";
import type { StrategyResult } from "./result.ts";

/** What the runner sends: how to replay, then the batches, then the end. */
export type WorkerRequest =
  | {
    kind: "start";
    /** Replay options (progress is reported by message). */
    options: Omit<StrategyReplayOptions, "onProgress">;
    /** The shared buffers of the batch ring, each holding one batch of `capacity` events. */
    slots: SharedArrayBuffer[];
    /** Events per batch. */
    capacity: number;
  }
  | {
    kind: "batch";
    /** The ring slot holding the next events. */
    slot: number;
    /** Events in it. */
    length: number;
    /** Its string table (see `EventBatch.strings`). */
    strings: string[];
  }
  | { kind: "end" };

/** What the worker answers. */
export type WorkerReply =
  | { kind: "release"; slot: number }
  | { kind: "progress"; events: number }
  | { kind: "done"; result: StrategyResult }
  | { kind: "error"; name: string; message: string; stack?: string; line?: number };

/**
 * The batches a worker is sent, as an async iterable: each is a view of its ring slot, released
 * (`onRelease`) when the consumer asks for the next one.
 *
 * @example
 * ```ts
 * import { BatchFeed } from "./replay_worker.ts";
 * import { EventBatch } from "../trace/batch.ts";
 * const slot = new SharedArrayBuffer(EventBatch.byteLength(4));
 * new EventBatch(4, slot).push({ pid: 1, op: "r", addr: 0x1000, len: 1 });
 * const released: number[] = [];
 * const feed = new BatchFeed([slot], 4, (s) => released.push(s));
 * feed.push(0, 1, []);
 * feed.end();
 * let n = 0;
 * for await (const b of feed) n += b.length;
 * if (n !== 1 || released.join() !== "0") throw new Error("bad feed");
 * ```
 */
export class BatchFeed implements AsyncIterable<EventBatch> {
  readonly #views: EventBatch[];
  readonly #onRelease: (slot: number) => void;
  readonly #queue: { slot: number; length: number; strings: string[] }[] = [];
  #ended = false;
  #wake: (() => void) | null = null;

  /** Makes a feed over the ring `slots` of batches of `capacity` events. */
  constructor(slots: SharedArrayBuffer[], capacity: number, onRelease: (slot: number) => void) {
    this.#views = slots.map((s) => new EventBatch(capacity, s));
    this.#onRelease = onRelease;
  }

  /** Queues the batch in `slot`. */
  push(slot: number, length: number, strings: string[]): void {
    const view = this.#views[slot];
    if (view === undefined || !(length >= 0 && length <= view.capacity)) {
      throw new RangeError(`BatchFeed: bad batch (slot ${slot}, ${length} events)`);
    }
    this.#queue.push({ slot, length, strings });
    this.#wakeUp();
  }

  /** No batch follows the queued ones. */
  end(): void {
    this.#ended = true;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<EventBatch> {
    let head = 0;
    while (true) {
      while (head === this.#queue.length && !this.#ended) {
        await new Promise<void>((resolve) => this.#wake = resolve);
      }
      if (head === this.#queue.length) return;
      const m = this.#queue[head++]!;
      if (head > 64) {
        this.#queue.splice(0, head);
        head = 0;
      }
      const view = this.#views[m.slot]!;
      view.length = m.length;
      view.strings = m.strings;
      yield view;
      this.#onRelease(m.slot);
    }
  }
}

/** Serves the runner's messages in a worker scope (`post` answers). */
export function serveWorker(
  post: (reply: WorkerReply) => void,
  close: () => void,
): (req: WorkerRequest) => void {
  let feed: BatchFeed | null = null;
  const fail = (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    post({
      kind: "error",
      name: err.name,
      message: err.message,
      ...(err.stack !== undefined ? { stack: err.stack } : {}),
      ...(err instanceof ReplayLimitError ? { line: err.line } : {}),
    });
  };
  return (req) => {
    try {
      if (req.kind === "start") {
        if (feed !== null) throw new Error("replay worker: started twice");
        const f = feed = new BatchFeed(
          req.slots,
          req.capacity,
          (slot) => post({ kind: "release", slot }),
        );
        replayStrategy(f, {
          ...req.options,
          onProgress: (events) => post({ kind: "progress", events }),
        }).then((result) => post({ kind: "done", result }), fail).finally(close);
      } else if (feed === null) {
        throw new Error(`replay worker: '${req.kind}' before 'start'`);
      } else if (req.kind === "batch") {
        feed.push(req.slot, req.length, req.strings);
      } else {
        feed.end();
      }
    } catch (e) {
      fail(e);
      close();
    }
  };
}

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  const serve = serveWorker((reply) => self.postMessage(reply), () => self.close());
  self.onmessage = (e: MessageEvent<WorkerRequest>) => serve(e.data);
}
