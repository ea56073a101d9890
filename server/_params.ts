/**
 * The app's parameters, validated with zod: run ids, list paging, comparison pairs and upload
 * fields. Each parse returns the value or a message naming the parameter and what was expected.
 *
 * @module
 */
import { z } from "zod";
import { parseMachineSize } from "../cli/_sizes.ts";
import type { UploadedFile } from "./_multipart.ts";

/** A parse that either gives a value or says what is wrong. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function parseWith<T>(schema: z.ZodType<T>, input: unknown, what: string): Parsed<T> {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  const path = issue.path.length > 0 ? `${what} '${issue.path.join(".")}'` : what;
  return { ok: false, error: `${path}: ${issue.message}` };
}

/** A whole number in a query or a path, exact as a JavaScript number (at most 2^53 − 1). */
const whole = (error: string, min: number) =>
  z.string().regex(/^\d+$/, { error }).transform(Number).pipe(
    z.number().min(min, { error }).max(Number.MAX_SAFE_INTEGER, {
      error: `${error} up to ${Number.MAX_SAFE_INTEGER}`,
    }),
  );

const id = whole("expected a positive integer", 1);

/** A run id from the path (`/runs/:id`). */
export function parseRunId(text: string | undefined): Parsed<number> {
  return parseId(text, "Run id");
}

/** A sweep id from the path (`/sweeps/:id`). */
export function parseSweepId(text: string | undefined): Parsed<number> {
  return parseId(text, "Sweep id");
}

function parseId(text: string | undefined, what: string): Parsed<number> {
  const r = parseWith(id, text ?? "", what);
  return r.ok ? r : { ok: false, error: `${r.error}, found '${text}'` };
}

const listQuery = z.object({
  limit: z.string().regex(/^\d+$/, { error: "expected a number" }).transform(Number)
    .pipe(z.number().int().min(1).max(1000)).optional(),
  offset: whole("expected a whole number", 0).optional(),
});

/** `?limit=&offset=` of the runs list. */
export function parseListQuery(
  query: Record<string, string>,
): Parsed<{ limit?: number | undefined; offset?: number | undefined }> {
  return parseWith(listQuery, query, "Query parameter");
}

const pageQuery = z.object({
  page: z.string().regex(/^[1-9]\d{0,8}$/, { error: "expected a page number from 1" })
    .transform(Number).optional(),
  deleted: id.optional(),
});

/** `?page=N` of the runs list (1 when absent), and `deleted=ID` after a deletion. */
export function parsePageQuery(
  query: Record<string, string>,
): Parsed<{ page: number; deleted: number | undefined }> {
  const r = parseWith(pageQuery, query, "Query parameter");
  return r.ok ? { ok: true, value: { page: r.value.page ?? 1, deleted: r.value.deleted } } : r;
}

const compareQuery = z.object({ a: id, b: id });

/** `?a=ID&b=ID` of a comparison. */
export function parseCompareQuery(query: Record<string, string>): Parsed<{ a: number; b: number }> {
  const r = parseWith(compareQuery, query, "Query parameter");
  return r.ok ? r : { ok: false, error: `${r.error} (compare needs ?a=RUN&b=RUN)` };
}

/** The fields of an upload (`POST /api/runs`), after validation. */
export interface UploadParams {
  trace: UploadedFile;
  strategies?: string[];
  mem?: number;
  swap?: number;
  wait: boolean;
}

/**
 * Validates an upload's form fields (each with its values, as `readMultipart` gives them) and its
 * file: `trace` (the file), `strategies` (repeated fields or comma lists, each one of `known`),
 * `mem` and `swap` (sizes like `64M` in their ranges; empty: the header's), `wait`.
 */
export function parseUpload(
  fields: Record<string, string[]>,
  file: UploadedFile | undefined,
  known: readonly string[],
  waitQuery: string | undefined,
): Parsed<UploadParams> {
  const last = (name: string) => fields[name]?.at(-1);
  const form: Record<string, unknown> = {
    trace: file,
    strategies: fields.strategies,
    mem: last("mem"),
    swap: last("swap"),
    wait: last("wait"),
  };
  const size = (what: "mem" | "swap") =>
    z.string().trim().optional().transform((v, ctx) => {
      if (v === undefined || v === "") return undefined;
      try {
        return parseMachineSize(v, what, what);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message.replace(`${what}: `, "") });
        return z.NEVER;
      }
    });
  const strategyList = z.union([z.string(), z.array(z.string())]).optional().transform((v) =>
    v === undefined
      ? undefined
      : (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) =>
        s !== ""
      )
  ).pipe(
    z.array(
      z.string().refine((s) => known.includes(s), {
        error: (iss) => `unknown strategy '${iss.input}'; expected one of ${known.join(", ")}`,
      }),
    ).min(1, { error: "choose at least one strategy" }).optional(),
  );
  const schema = z.object({
    trace: z.custom<UploadedFile>((v) => v !== undefined, {
      error: "expected a trace file in the form field 'trace'",
    }),
    strategies: strategyList,
    mem: size("mem"),
    swap: size("swap"),
    wait: z.string().optional().transform((v) =>
      [v, waitQuery].some((w) => w === "1" || w === "true")
    ),
  });
  const r = parseWith(schema, form, "Field");
  if (!r.ok) return r;
  const v = r.value;
  const out: UploadParams = { trace: v.trace, wait: v.wait };
  if (v.strategies) out.strategies = v.strategies;
  if (v.mem !== undefined) out.mem = v.mem;
  if (v.swap !== undefined) out.swap = v.swap;
  return { ok: true, value: out };
}
