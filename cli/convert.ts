/**
 * `vmreplay convert IN OUT`: a trace from one form to another, chosen by the file extensions.
 *
 * @module
 */
import { parseCommand } from "./_args.ts";
import { InputError, isFileSystemError, runCommand, UsageError } from "./_errors.ts";
import { Progress } from "./_progress.ts";
import { readTrace } from "../trace/read.ts";
import { writeTraceBatches } from "../trace/write.ts";
import { extensionOf, formatFromName } from "../trace/format.ts";
import type { EventBatch } from "../trace/batch.ts";

const HELP = `Usage: vmreplay convert IN OUT

Converts a trace between forms, each chosen by its file's extension:
  .vmt    vmtrace text          .jsonl  JSON Lines, one object per event
  .csv    CSV, one column per field   .vmtb   compact binary (fastest to read)
each optionally followed by .gz (gzip). Every form carries the same events, so converting there
and back gives the same event stream.

OUT is written atomically (to a temporary file, then renamed): if IN is malformed, nothing is
written and an existing OUT is left as it was. Exit code 0 on success, 1 for bad input.

A compressed trace may inflate to at most 16G (VMREPLAY_MAX_INFLATE=SIZE, 0 for no limit).

Options:
  -h, --help  this help
`;

/** Runs `vmreplay convert ARGS`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await runCommand("convert", HELP, async () => {
    const parsed = parseCommand({ name: "convert", help: HELP, options: {} }, args);
    if (!parsed) return 0;
    const [input, output, ...rest] = parsed.positionals;
    if (input === undefined || output === undefined) {
      throw new UsageError("expected two files: IN and OUT");
    }
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    let outFormat;
    try {
      outFormat = formatFromName(output);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const reader = await readTrace(input, { batchSize: 8192 });
    const progress = new Progress(`convert ${input}`);
    let events = 0;
    async function* counted(): AsyncGenerator<EventBatch> {
      for await (const b of reader.batches()) {
        events += b.length;
        progress.update(`${events.toLocaleString("en-US")} events`);
        yield b;
      }
    }
    const t0 = performance.now();
    try {
      await writeTraceBatches(output, reader.header, counted(), { format: outFormat });
    } catch (e) {
      // writeTraceBatches names the output in its file-system errors.
      if (isFileSystemError(e)) throw new InputError((e as Error).message);
      throw e;
    } finally {
      progress.done();
    }
    const ms = performance.now() - t0;
    const inSize = (await Deno.stat(input)).size;
    const outSize = (await Deno.stat(output)).size;
    console.log(
      `${input} (${extensionOf(reader.format).slice(1)}, ${inSize} bytes) -> ${output} ` +
        `(${extensionOf(outFormat).slice(1)}, ${outSize} bytes): ${events} events in ` +
        `${(ms / 1000).toFixed(2)} s`,
    );
    return 0;
  });
}
