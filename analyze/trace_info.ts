/**
 * What the results store records about a trace file: its name, size and SHA-256.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import type { TraceInfo } from "./store.ts";

/**
 * Describes a trace from its bytes: `name` as given, the byte count and the SHA-256 in hex.
 *
 * @example
 * ```ts
 * import { traceInfoOfBytes } from "./trace_info.ts";
 * const info = await traceInfoOfBytes("t.vmt", new TextEncoder().encode("vmtrace 1\n"));
 * if (info.size !== 10 || info.sha256.length !== 64) throw new Error("unexpected info");
 * ```
 */
export async function traceInfoOfBytes(name: string, bytes: Uint8Array): Promise<TraceInfo> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
  return { name, size: bytes.byteLength, sha256 };
}

/**
 * Describes a trace file (name: its base name unless `name` is given); reads the file once, in
 * chunks, to hash it (memory stays flat whatever its size).
 *
 * @example
 * ```ts
 * import { traceInfoOfFile } from "./trace_info.ts";
 * const path = await Deno.makeTempFile({ suffix: ".vmt" });
 * await Deno.writeTextFile(path, "vmtrace 1\n");
 * const info = await traceInfoOfFile(path);
 * await Deno.remove(path);
 * if (info.size !== 10) throw new Error("expected 10 bytes");
 * ```
 */
export async function traceInfoOfFile(path: string, name = basename(path)): Promise<TraceInfo> {
  using file = await Deno.open(path, { read: true });
  const hash = createHash("sha256");
  const buf = new Uint8Array(1 << 20);
  let size = 0;
  for (let n; (n = await file.read(buf)) !== null;) {
    hash.update(buf.subarray(0, n));
    size += n;
  }
  return { name, size, sha256: hash.digest("hex") };
}
