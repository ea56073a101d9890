/**
 * A trace's footprint for `sweep --mem 10%..100%:10`: its distinct (process, page) pairs touched
 * (see `mem_list.ts`), from one decoding pass (`trace/stats.ts`).
 *
 * @module
 */
import { readTrace } from "../../trace/read.ts";
import { traceStats } from "../../trace/stats.ts";
import { PAGE_SIZE } from "../../trace/event.ts";

/**
 * The footprint of the trace at `path`, bytes: pages touched (distinct process/page pairs) times
 * the page size.
 *
 * @example
 * ```ts
 * import { traceFootprint } from "./footprint.ts";
 * const path = await Deno.makeTempFile({ suffix: ".vmt" });
 * await Deno.writeTextFile(path, "vmtrace 1\n1 mmap 0x10000 8K rw- private,anon\n1 w 0x10000 8\n1 r 0x11000\n");
 * const bytes = await traceFootprint(path);
 * await Deno.remove(path);
 * if (bytes !== 8192) throw new Error(String(bytes));
 * ```
 */
export async function traceFootprint(path: string): Promise<number> {
  const reader = await readTrace(path);
  try {
    return (await traceStats(reader.batches())).pages_touched * PAGE_SIZE;
  } finally {
    await reader.close();
  }
}
