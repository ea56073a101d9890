/**
 * A streaming reader of `multipart/form-data` request bodies (RFC 7578): the one file field goes
 * straight to a file on disk (with its size and SHA-256 computed on the way), the other fields are
 * kept as short strings. Nothing holds the whole upload in memory, and both sizes are capped.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** A refused upload: `status` is 400 (malformed) or 413 (too large). */
export class UploadError extends Error {
  /** The HTTP status to answer. */
  readonly status: 400 | 413;

  /** Makes the error. */
  constructor(status: 400 | 413, message: string) {
    super(message);
    this.name = "UploadError";
    this.status = status;
  }
}

/** The file of an upload, written to disk. */
export interface UploadedFile {
  /** The name the client gave it (its extension tells the trace's form). */
  name: string;
  /** Where it was written. */
  path: string;
  /** Its size in bytes. */
  size: number;
  /** Its SHA-256, lowercase hex. */
  sha256: string;
  /** Lets go of the file's lock (`trace/tempfiles.ts`), once it is removed. */
  release: () => void;
}

/** Options of {@linkcode readMultipart}. */
export interface MultipartOptions {
  /** The form field that holds the file. */
  fileField: string;
  /**
   * Creates the file (empty) for the client's name for it, and returns its path and how to let go
   * of it (called once, for the file part).
   */
  createFile: (name: string) => Promise<{ path: string; release: () => void }>;
  /** Largest file, bytes: beyond, a 413 `UploadError` (whose message is `tooLarge`). */
  maxFileBytes: number;
  /** The message of that 413. */
  tooLarge: string;
  /** Largest other field, bytes (default 64 KiB); beyond: 413. */
  maxFieldBytes?: number;
  /** Most fields (default 100); beyond: 400. */
  maxFields?: number;
}

/** What {@linkcode readMultipart} read. */
export interface MultipartResult {
  /** The non-file fields, each name with its values in order. */
  fields: Record<string, string[]>;
  /** The file, if the file field was present. */
  file?: UploadedFile;
}

const CRLF2 = new Uint8Array([13, 10, 13, 10]);
const MAX_HEADERS = 16 * 1024;

/** The index of `needle` in `hay` from `from`, or -1. */
function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  const last = hay.length - needle.length;
  for (let i = hay.indexOf(first, from); i >= 0 && i <= last; i = hay.indexOf(first, i + 1)) {
    let k = 1;
    while (k < needle.length && hay[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}

/** The boundary of a `multipart/form-data` content type, or undefined. */
function boundaryOf(contentType: string | null): string | undefined {
  if (contentType === null || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** A part's field name and file name from its headers. */
function disposition(headers: string): { name: string; filename?: string } {
  const line = headers.split("\r\n").find((l) => /^content-disposition\s*:/i.test(l));
  if (line === undefined) throw new UploadError(400, "A form part has no Content-Disposition");
  const name = /;\s*name="([^"]*)"/i.exec(line)?.[1] ?? /;\s*name=([^\s;]+)/i.exec(line)?.[1];
  if (name === undefined) throw new UploadError(400, "A form part has no field name");
  const file = /;\s*filename="([^"]*)"/i.exec(line)?.[1] ??
    /;\s*filename=([^\s;]+)/i.exec(line)?.[1];
  return file === undefined ? { name } : { name, filename: file };
}

/**
 * Reads a `multipart/form-data` request body as it arrives: the part named `opts.fileField` is
 * written to the file `opts.createFile(name)` makes; the other parts become strings. Throws an
 * {@linkcode UploadError} for a body that is not multipart, malformed or too large; the file is
 * removed then.
 *
 * @example
 * ```ts
 * import { readMultipart } from "./_multipart.ts";
 * const form = new FormData();
 * form.append("mem", "64M");
 * form.append("trace", new File(["vmtrace 1\n"], "t.vmt"));
 * const dir = await Deno.makeTempDir();
 * const r = await readMultipart(new Request("http://x/", { method: "POST", body: form }), {
 *   fileField: "trace",
 *   createFile: async () => {
 *     await Deno.writeFile(`${dir}/upload.vmt`, new Uint8Array());
 *     return { path: `${dir}/upload.vmt`, release: () => {} };
 *   },
 *   maxFileBytes: 1 << 20,
 *   tooLarge: "too large",
 * });
 * if (r.fields.mem?.[0] !== "64M" || r.file?.name !== "t.vmt" || r.file.size !== 10) {
 *   throw new Error("multipart");
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readMultipart(
  req: Request,
  opts: MultipartOptions,
): Promise<MultipartResult> {
  const boundary = boundaryOf(req.headers.get("content-type"));
  if (boundary === undefined || req.body === null) {
    throw new UploadError(400, "Expected a multipart/form-data body with a boundary");
  }
  const enc = new TextEncoder();
  const delim = enc.encode(`\r\n--${boundary}`);
  const maxField = opts.maxFieldBytes ?? 64 * 1024;
  const maxFields = opts.maxFields ?? 100;
  const reader = req.body.getReader();
  // The unparsed input; it begins with CRLF so the first boundary looks like the others.
  let buf: Uint8Array = new Uint8Array([13, 10]);
  let eof = false;
  const more = async (): Promise<boolean> => {
    if (eof) return false;
    const { done, value } = await reader.read();
    if (done) {
      eof = true;
      return false;
    }
    const b = new Uint8Array(buf.length + value.length);
    b.set(buf);
    b.set(value, buf.length);
    buf = b;
    return true;
  };
  const fields: Record<string, string[]> = {};
  let nfields = 0;
  let file: UploadedFile | undefined;
  let out: Deno.FsFile | undefined;
  try {
    // The preamble, up to the first boundary.
    let at: number;
    while ((at = indexOf(buf, delim, 0)) < 0) {
      if (buf.length > MAX_HEADERS) throw new UploadError(400, "No multipart boundary found");
      if (!await more()) throw new UploadError(400, "No multipart boundary found");
    }
    buf = buf.subarray(at + delim.length);
    while (true) {
      // After a boundary: "--" ends the body, CRLF starts a part.
      while (buf.length < 2) if (!await more()) throw truncated();
      if (buf[0] === 45 && buf[1] === 45) break;
      let h: number;
      while ((h = indexOf(buf, CRLF2, 0)) < 0) {
        if (buf.length > MAX_HEADERS) throw new UploadError(400, "Form part headers too long");
        if (!await more()) throw truncated();
      }
      const headers = new TextDecoder().decode(buf.subarray(2, h));
      buf = buf.subarray(h + 4);
      const part = disposition(headers);
      if (++nfields > maxFields) throw new UploadError(400, `More than ${maxFields} form fields`);
      const isFile = part.name === opts.fileField && part.filename !== undefined;
      if (isFile && file !== undefined) {
        throw new UploadError(400, `More than one file in field '${opts.fileField}'`);
      }
      const hash = isFile ? createHash("sha256") : undefined;
      let size = 0;
      const chunks: Uint8Array[] = [];
      if (isFile) {
        const { path, release } = await opts.createFile(part.filename!);
        file = { name: part.filename!, path, size: 0, sha256: "", release };
        out = await Deno.open(path, { write: true });
      }
      // The part's body, up to the next boundary; all but its last bytes (which may begin the
      // boundary) go out as they come.
      while (true) {
        const end = indexOf(buf, delim, 0);
        const upto = end >= 0 ? end : Math.max(0, buf.length - delim.length + 1);
        if (upto > 0) {
          const data = buf.subarray(0, upto);
          size += data.length;
          if (isFile) {
            if (size > opts.maxFileBytes) throw new UploadError(413, opts.tooLarge);
            hash!.update(data);
            let w = 0;
            while (w < data.length) w += await out!.write(data.subarray(w));
          } else {
            if (size > maxField) {
              throw new UploadError(413, `Form field '${part.name}' longer than ${maxField} bytes`);
            }
            chunks.push(data.slice());
          }
          buf = buf.subarray(upto);
        }
        if (end >= 0) break;
        if (!await more()) throw truncated();
      }
      buf = buf.subarray(delim.length);
      if (isFile) {
        out!.close();
        out = undefined;
        file!.size = size;
        file!.sha256 = hash!.digest("hex");
      } else {
        const all = new Uint8Array(size);
        let o = 0;
        for (const c of chunks) all.set(c, (o += c.length) - c.length);
        (fields[part.name] ??= []).push(new TextDecoder().decode(all));
      }
    }
    return file === undefined ? { fields } : { fields, file };
  } catch (e) {
    try {
      out?.close();
    } catch { /* closed */ }
    if (file !== undefined) {
      await Deno.remove(file.path).catch(() => {});
      file.release();
    }
    await reader.cancel().catch(() => {});
    throw e;
  } finally {
    try {
      reader.releaseLock();
    } catch { /* released */ }
  }
}

function truncated(): UploadError {
  return new UploadError(400, "The multipart body ends in the middle of a part");
}
