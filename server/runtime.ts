/**
 * The app's defaults that come from the rest of vmreplay: the strategy registry, the runner's
 * replay of uploaded bytes, and the trace reader for checking an upload before replay.
 *
 * @module
 */
import { STRATEGIES } from "../core/rmap/registry.ts";
import { replayBytes } from "../analyze/replay.ts";
import { readTraceBytes } from "../trace/read.ts";
import type { ReplayInput } from "./jobs.ts";
import type { RunResult } from "../analyze/result.ts";
import type { StrategyChoice } from "./pages/upload_page.ts";

/** Checks an uploaded trace to its last event; throws `TraceError` (`FILE:LINE:COL: message`). */
export type ValidateBytes = (bytes: Uint8Array, name: string) => Promise<{ events: number }>;

/** The strategies of the machine's registry, in its order. */
export function defaultStrategies(): StrategyChoice[] {
  return Object.values(STRATEGIES).map((s) => ({ name: s.name, origin: s.origin, idea: s.idea }));
}

/** Reads every event of an uploaded trace (any form, gzip too), so a bad one fails before replay. */
export const defaultValidate: ValidateBytes = async (bytes, name) => {
  const reader = await readTraceBytes(bytes, { name });
  let events = 0;
  try {
    for await (const batch of reader.batches()) events += batch.length;
  } finally {
    await reader.close();
  }
  return { events };
};

/** Replays uploaded bytes with the runner's `replayBytes`. */
export const defaultReplay = ({ bytes, name, ...opts }: ReplayInput): Promise<RunResult> =>
  replayBytes(bytes, name, opts);
