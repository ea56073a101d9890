/**
 * The traces `start` replays into an empty results store, so the dashboard has something to show:
 * the fixtures, and a few generated workloads that reproduce the strategies' pathologies.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { replayBytes, replayTrace } from "../analyze/replay.ts";
import type { RunResult } from "../analyze/result.ts";
import { saveRun, type Store, type TraceInfo } from "../analyze/store.ts";
import { traceInfoOfBytes, traceInfoOfFile } from "../analyze/trace_info.ts";
import { generateWorkload } from "../trace/gen/generate.ts";
import { formatTraceText } from "../trace/text/stringify.ts";

/** Generated workloads replayed by `start` (default parameters): each strategy's pathology. */
export const BUNDLED_WORKLOADS: readonly string[] = [
  "aim7",
  "fork-chain",
  "mremap-after-fork",
  "scan-pressure",
  "zygote",
  "shared-anon",
];

/** One trace `start` replays: a name to show, and how to replay it. */
export interface BundledTrace {
  name: string;
  load(): Promise<{ result: RunResult; trace: TraceInfo }>;
}

/** The fixtures (`fixtures/*.vmt`) and {@linkcode BUNDLED_WORKLOADS}, in that order. */
export async function bundledTraces(
  fixturesDir: URL = new URL("../fixtures/", import.meta.url),
): Promise<BundledTrace[]> {
  const out: BundledTrace[] = [];
  const files: string[] = [];
  for await (const e of Deno.readDir(fixturesDir)) {
    if (e.isFile && /\.vmt(\.gz)?$/.test(e.name)) files.push(e.name);
  }
  for (const file of files.sort()) {
    const path = fileURLToPath(new URL(file, fixturesDir));
    out.push({
      name: `fixtures/${file}`,
      load: async () => ({
        result: await replayTrace({ trace: path }),
        trace: await traceInfoOfFile(path),
      }),
    });
  }
  for (const w of BUNDLED_WORKLOADS) {
    const name = `${w}.vmt`;
    out.push({
      name: `gen ${w}`,
      load: async () => {
        const { header, events } = generateWorkload(w);
        const bytes = new TextEncoder().encode(formatTraceText(header, events));
        return {
          result: await replayBytes(bytes, name),
          trace: await traceInfoOfBytes(name, bytes),
        };
      },
    });
  }
  return out;
}

/** Options of {@linkcode replayBundled}. */
export interface ReplayBundledOptions {
  /** The traces (default: {@linkcode bundledTraces}). */
  traces?: BundledTrace[];
  /** Called with a line per trace replayed (default: `console.log`). */
  report?: (line: string) => void;
}

/**
 * Replays every bundled trace into `store`, reporting each as it goes; returns the new run ids.
 */
export async function replayBundled(
  store: Store,
  opts: ReplayBundledOptions = {},
): Promise<number[]> {
  const report = opts.report ?? console.log;
  const ids: number[] = [];
  for (const t of opts.traces ?? await bundledTraces()) {
    const started = performance.now();
    const { result, trace } = await t.load();
    ids.push(saveRun(store, result, trace));
    const ms = Math.round(performance.now() - started);
    report(
      `  ${t.name}: ${result.events} events, ${Object.keys(result.results).length} strategies, ` +
        `${ms} ms`,
    );
  }
  return ids;
}
