import { deepStrictEqual, match } from "node:assert/strict";
import { verifyAccess } from "./verify.ts";
import { ReferenceModel } from "../core/reference.ts";
import { TraceBuilder } from "../trace/builder.ts";
import { Op } from "../trace/event.ts";

/** A reference model after every event but the last of `t`, and the batch. */
function upToLast(t: TraceBuilder) {
  const b = t.batch();
  const ref = new ReferenceModel();
  for (let i = 0; i < b.length - 1; i++) ref.apply(b, i, i + 1);
  return { b, ref, last: b.length - 1 };
}

const loads = (vpages: number[], stamps: number[]) => ({
  loadCount: vpages.length,
  loadVpage: Float64Array.from(vpages),
  loadStamp: Float64Array.from(stamps),
});

Deno.test("verifyAccess() accepts a multi-page load with the expected stamps", () => {
  const { b, ref, last } = upToLast(
    new TraceBuilder().mmap(1, 0x10000, "8K", "rw-", "private,anon").w(1, 0x11000)
      .r(1, 0x10ff0, 32),
  );
  deepStrictEqual(verifyAccess(loads([0x10, 0x11], [0, 2]), ref, b, last, Op.r, 0), undefined);
});

Deno.test("verifyAccess() reports a wrong stamp, a missing page and a wrong page", () => {
  const { b, ref, last } = upToLast(
    new TraceBuilder().mmap(1, 0x10000, "8K", "rw-", "private,anon").w(1, 0x11000)
      .r(1, 0x10ff0, 32),
  );
  match(
    verifyAccess(loads([0x10, 0x11], [0, 9]), ref, b, last, Op.r, 0)!,
    /read stamp 9, expected 2/,
  );
  match(verifyAccess(loads([0x10], [0]), ref, b, last, Op.r, 0)!, /loaded 1 pages, expected 2/);
  match(verifyAccess(loads([0x10, 0x12], [0, 2]), ref, b, last, Op.r, 0)!, /was of page 0x12/);
});

Deno.test("verifyAccess() requires a segv exactly when the reference model faults", () => {
  const ro = upToLast(
    new TraceBuilder().mmap(1, 0x10000, "4K", "r--", "private,anon").w(1, 0x10000),
  );
  deepStrictEqual(verifyAccess(loads([], []), ro.ref, ro.b, ro.last, Op.w, 1), undefined);
  match(verifyAccess(loads([], []), ro.ref, ro.b, ro.last, Op.w, 0)!, /expects a segv/);
  const rw = upToLast(
    new TraceBuilder().mmap(1, 0x10000, "4K", "rw-", "private,anon").w(1, 0x10000),
  );
  deepStrictEqual(verifyAccess(loads([], []), rw.ref, rw.b, rw.last, Op.w, 0), undefined);
  match(verifyAccess(loads([], []), rw.ref, rw.b, rw.last, Op.w, 1)!, /machine reported a segv/);
});

Deno.test("verifyAccess() checks that every page a store wrote holds its stamp", () => {
  const two = upToLast(
    new TraceBuilder().mmap(1, 0x10000, "8K", "rw-", "private,anon").w(1, 0x10000, 8192),
  );
  // The store is applied as seq 7: both pages must hold 7 now.
  const holding = (stamps: Record<number, number>) => ({
    ...loads([], []),
    pageStamp: (_pid: number, vpage: number) => stamps[vpage],
  });
  const at = (m: ReturnType<typeof holding>) =>
    verifyAccess(m, two.ref, two.b, two.last, Op.w, 0, 7);
  deepStrictEqual(at(holding({ 0x10: 7, 0x11: 7 })), undefined);
  match(at(holding({ 0x10: 7, 0x11: 2 }))!, /page 0x11 holds stamp 2 after the store, expected 7/);
  // A page no longer in the page table (reclaimed during the access to an object's copy): the
  // loads that read it later check it.
  deepStrictEqual(at(holding({ 0x10: 7 })), undefined);
  // Without pageStamp or seq, stores are checked for their segv only (as before).
  deepStrictEqual(verifyAccess(loads([], []), two.ref, two.b, two.last, Op.w, 0, 7), undefined);
});
