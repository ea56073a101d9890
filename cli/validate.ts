/**
 * `vmreplay validate TRACE...`: checks traces without replaying them.
 *
 * @module
 */
import { parseCommand } from "./_args.ts";
import { runCommand, UsageError } from "./_errors.ts";
import { Progress } from "./_progress.ts";
import { readTrace } from "../trace/read.ts";
import { formatHeader } from "../trace/text/stringify.ts";
import { extensionOf } from "../trace/format.ts";
import { headerKnobs } from "../analyze/replay.ts";

const HELP = `Usage: vmreplay validate TRACE... [--json]

Checks that each trace is well formed (any form: .vmt, .jsonl, .csv, .vmtb, each optionally .gz)
without replaying it. Prints a one-line summary per trace, or the first error as
FILE:LINE:COLUMN: message. Exit code 0 when every trace is valid, 1 otherwise.

A compressed trace may inflate to at most 16G (VMREPLAY_MAX_INFLATE=SIZE, 0 for no limit).

Options:
  --json      one JSON object per trace: {"file","ok","events","header"} or
              {"file","ok":false,"line","column","error"}
  -h, --help  this help
`;

/** Runs `vmreplay validate ARGS`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await runCommand("validate", HELP, async () => {
    const parsed = parseCommand(
      { name: "validate", help: HELP, options: { json: { type: "boolean" } } },
      args,
    );
    if (!parsed) return 0;
    const files = parsed.positionals;
    if (files.length === 0) throw new UsageError("expected at least one TRACE file");
    let bad = 0;
    for (const file of files) {
      const progress = new Progress(`validate ${file}`);
      const t0 = performance.now();
      try {
        const reader = await readTrace(file, { batchSize: 8192 });
        // The kernel settings of the header, as run checks them.
        try {
          headerKnobs(reader.header, file);
        } catch (e) {
          await reader.close();
          throw e;
        }
        let events = 0;
        for await (const b of reader.batches()) {
          events += b.length;
          progress.update(`${events.toLocaleString("en-US")} events`);
        }
        progress.done();
        const ms = performance.now() - t0;
        if (parsed.values.json) {
          console.log(JSON.stringify({ file, ok: true, events, header: reader.header }));
        } else {
          console.log(
            `${file}: ok, ${events} events, ${extensionOf(reader.format).slice(1)} ` +
              `(${formatHeader(reader.header)}) in ${(ms / 1000).toFixed(2)} s`,
          );
        }
      } catch (e) {
        progress.done();
        const err = e as Error & { line?: number; column?: number; reason?: string };
        const known = err.name === "TraceError" || e instanceof Deno.errors.NotFound;
        if (!known) throw e;
        bad++;
        if (parsed.values.json) {
          console.log(JSON.stringify({
            file,
            ok: false,
            line: err.line ?? 0,
            column: err.column ?? 0,
            error: err.reason ?? err.message,
          }));
        } else {
          console.error(err.name === "TraceError" ? err.message : `${file}: ${err.message}`);
        }
      }
    }
    return bad > 0 ? 1 : 0;
  });
}
