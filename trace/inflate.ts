/**
 * Bounded gzip decompression for every reader of compressed input (traces, importers, uploads):
 * a stream that decompresses only as fast as its reader takes the data, in chunks of at most
 * 256 KiB whatever the compression ratio, and stops with an error past a limit on the total
 * decompressed size. A few megabytes that inflate to gigabytes (a "gzip bomb") then cost a few
 * megabytes of memory and end in a clear error instead of exhausting memory.
 *
 * The limit is {@linkcode DEFAULT_MAX_INFLATE} (16 GiB) unless the environment variable
 * `VMREPLAY_MAX_INFLATE` gives another size (`VMREPLAY_MAX_INFLATE=200G`; `0` for none); the
 * dashboard has its own, smaller one (`serve --max-inflate`).
 *
 * @module
 */
import { createGunzip } from "node:zlib";
import { TraceError } from "./error.ts";

/** Decompressed bytes a reader takes at most, unless told otherwise: 16 GiB. */
export const DEFAULT_MAX_INFLATE = 16 * 2 ** 30;

/** Largest chunk the decompressor hands out. */
const OUT_CHUNK = 256 * 1024;

const SIZE_RE = /^(\d+)([KMGT]?)$/i;

/**
 * The decompressed-size limit of this process: `VMREPLAY_MAX_INFLATE` (a size like `200G`, or `0`
 * for no limit) when it is set, else {@linkcode DEFAULT_MAX_INFLATE}. Throws an Error named
 * `UsageError` (the command line's exit status 2), naming the variable, when it is not a size.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_INFLATE, maxInflate } from "./inflate.ts";
 * if (Deno.env.get("VMREPLAY_MAX_INFLATE") === undefined && maxInflate() !== DEFAULT_MAX_INFLATE) {
 *   throw new Error("default");
 * }
 * ```
 */
export function maxInflate(): number {
  let text: string | undefined;
  try {
    text = Deno.env.get("VMREPLAY_MAX_INFLATE");
  } catch {
    text = undefined; // no --allow-env: the default
  }
  if (text === undefined || text.trim() === "") return DEFAULT_MAX_INFLATE;
  const m = SIZE_RE.exec(text.trim());
  if (!m) {
    // A mistake in how vmreplay was called: the command line reports it as a usage error.
    const e = new Error(
      `VMREPLAY_MAX_INFLATE: expected a size like 200G (or 0 for no limit), found '${text}'`,
    );
    e.name = "UsageError";
    throw e;
  }
  const n = Number(m[1]) * { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[
    m[2]!.toUpperCase() as "" | "K" | "M" | "G" | "T"
  ];
  return n === 0 ? Infinity : n;
}

/**
 * The {@linkcode TraceError} of data that inflates past its limit (a gzip bomb, or a trace larger
 * than the limit allows): the dashboard answers it with 413 rather than 400.
 */
export class InflateLimitError extends TraceError {
  /** The limit, bytes. */
  readonly limit: number;

  /** Makes the error for `name`, inflated past `limit` bytes; `hint` says how to raise it. */
  constructor(name: string, limit: number, hint: string) {
    super(
      name,
      0,
      0,
      `Decompressed data larger than the limit of ${shown(limit)} ` +
        `(a gzip bomb, or a trace larger than expected: ${hint})`,
    );
    this.limit = limit;
  }
}

/** A size for messages: `64G`, `1M`, or bytes. */
function shown(n: number): string {
  for (const [u, m] of [["T", 2 ** 40], ["G", 2 ** 30], ["M", 2 ** 20], ["K", 2 ** 10]] as const) {
    if (n >= m && n % m === 0) return `${n / m}${u}`;
  }
  return `${n} bytes`;
}

/**
 * Decompresses gzip data (`input`: chunks, which may be reused by their source once the next is
 * asked for) as a stream of chunks of at most 256 KiB. Throws a {@linkcode TraceError} naming
 * `name` for truncated or corrupt data, and once more than `limit` bytes came out (what
 * {@linkcode maxInflate} says by default), saying how to raise it (`hint`).
 *
 * @example
 * ```ts
 * import { gunzipChunks } from "./inflate.ts";
 * const gz = new Uint8Array(
 *   await new Response(
 *     new Blob([new Uint8Array(1 << 20)]).stream().pipeThrough(new CompressionStream("gzip")),
 *   ).arrayBuffer(),
 * );
 * let n = 0;
 * for await (const c of gunzipChunks([gz], "zeros.gz")) n += c.length;
 * if (n !== 1 << 20) throw new Error("inflated");
 * try {
 *   for await (const c of gunzipChunks([gz], "zeros.gz", 1000)) n += c.length;
 *   throw new Error("should have stopped");
 * } catch (e) {
 *   if (!(e as Error).message.startsWith("zeros.gz: Decompressed data larger than")) throw e;
 * }
 * ```
 */
export async function* gunzipChunks(
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  name: string,
  limit: number = maxInflate(),
  hint = "set VMREPLAY_MAX_INFLATE to raise it",
): AsyncGenerator<Uint8Array> {
  const g = createGunzip({ chunkSize: OUT_CHUNK });
  let sourceError: { e: unknown } | undefined;
  const closed = new Promise<void>((resolve) => g.once("close", () => resolve()));
  // The compressed side, fed only as the decompressor drains it.
  const feeding = (async () => {
    try {
      for await (const c of input) {
        if (g.destroyed) return;
        if (!g.write(c.slice())) {
          await Promise.race([new Promise<void>((r) => g.once("drain", () => r())), closed]);
        }
      }
      if (!g.destroyed) g.end();
    } catch (e) {
      sourceError = { e };
      g.destroy(e as Error);
    }
  })();
  let total = 0;
  try {
    for await (const out of g as AsyncIterable<Uint8Array>) {
      total += out.length;
      if (total > limit) {
        throw new InflateLimitError(name, limit, hint);
      }
      yield out;
    }
    if (sourceError !== undefined) throw sourceError.e;
  } catch (e) {
    if (sourceError !== undefined) throw sourceError.e;
    if (e instanceof TraceError) throw e;
    throw new TraceError(name, 0, 0, `Truncated or corrupt gzip data: ${(e as Error).message}`);
  } finally {
    g.destroy();
    await feeding;
  }
}
