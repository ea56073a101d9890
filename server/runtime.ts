/**
 * The app's defaults that come from the rest of vmreplay: the strategy registry, the runner's
 * replay of an uploaded trace, and the trace reader for checking an upload before replay.
 *
 * @module
 */
import { STRATEGIES } from "../core/rmap/registry.ts";
import { headerKnobs, replayTrace } from "../analyze/replay.ts";
import { readTrace } from "../trace/read.ts";
import type { ReplayInput } from "./jobs.ts";
import type { RunResult } from "../analyze/result.ts";
import type { StrategyChoice } from "./pages/upload_page.ts";

/** How an upload's decompression is bounded. */
export interface InflateLimit {
  /** Most bytes a gzip-compressed upload may inflate to. */
  maxInflate: number;
  /** How to raise it, said in the error. */
  maxInflateHint: string;
}

/**
 * Checks an uploaded trace, written to `path`, to its last event, header included (its kernel
 * settings too); `name` is the upload's own name, whose extension tells the form. Throws
 * `TraceError` (`NAME:LINE:COL: message`).
 */
export type ValidateFile = (
  path: string,
  name: string,
  limit: InflateLimit,
) => Promise<{ events: number }>;

/** The strategies of the machine's registry, in its order. */
export function defaultStrategies(): StrategyChoice[] {
  return Object.values(STRATEGIES).map((s) => ({ name: s.name, origin: s.origin, idea: s.idea }));
}

/** Reads every event of an uploaded trace (any form, gzip too), so a bad one fails before replay. */
export const defaultValidate: ValidateFile = async (path, name, limit) => {
  const reader = await readTrace(path, { name, batchSize: 8192, ...limit });
  let events = 0;
  try {
    headerKnobs(reader.header, name);
    for await (const batch of reader.batches()) events += batch.length;
  } finally {
    await reader.close();
  }
  return { events };
};

/** Replays an uploaded trace with the runner's `replayTrace`. */
export const defaultReplay = (
  { path, name, maxInflate, maxInflateHint, ...opts }: ReplayInput,
): Promise<RunResult> =>
  replayTrace({
    trace: path,
    name,
    ...opts,
    ...(maxInflate !== undefined ? { maxInflate } : {}),
    ...(maxInflateHint !== undefined ? { maxInflateHint } : {}),
  });
