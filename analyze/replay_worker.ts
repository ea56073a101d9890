/**
 * The worker behind {@linkcode replayTrace}: replays one trace through one strategy. It reads the
 * trace itself, in streaming batches, so memory stays flat however long the trace is, and answers
 * with progress messages and then its {@linkcode StrategyResult} (or an error).
 *
 * Started as `new Worker(new URL("./replay_worker.ts", import.meta.url), { type: "module" })`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { readTrace, readTraceBytes } from "../trace/read.ts";
import { replayStrategy, type StrategyReplayOptions } from "./replay_strategy.ts";
import type { StrategyResult } from "./result.ts";

/** What the runner sends: where the trace is and how to replay it. */
export interface WorkerRequest {
  /** The trace file, or its bytes and name. */
  source: { path: string } | { bytes: Uint8Array; name: string };
  /** Replay options (progress is reported by message). */
  options: Omit<StrategyReplayOptions, "onProgress">;
}

/** What the worker answers. */
export type WorkerReply =
  | { kind: "progress"; events: number }
  | { kind: "done"; result: StrategyResult }
  | { kind: "error"; name: string; message: string; stack?: string };

/** Replays `req` and reports to `post`; never throws. */
export async function serveRequest(
  req: WorkerRequest,
  post: (reply: WorkerReply) => void,
): Promise<void> {
  try {
    const src = req.source;
    const reader = "path" in src
      ? await readTrace(src.path)
      : await readTraceBytes(src.bytes, { name: src.name });
    try {
      const result = await replayStrategy(reader.batches(), {
        ...req.options,
        onProgress: (events) => post({ kind: "progress", events }),
      });
      post({ kind: "done", result });
    } finally {
      await reader.close();
    }
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    post({
      kind: "error",
      name: err.name,
      message: err.message,
      ...(err.stack !== undefined ? { stack: err.stack } : {}),
    });
  }
}

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
    await serveRequest(e.data, (reply) => self.postMessage(reply));
    self.close();
  };
}
