import { deepStrictEqual } from "node:assert/strict";
import { EVENT_SCHEMAS, eventFromJson } from "./parse.ts";

Deno.test("eventFromJson() gives loads and stores exactly what their zod schema gives", () => {
  // values of every kind each field may hold, valid or not
  const pids = [1, 7, 0, -1, 1.5, 2 ** 31, 2 ** 31 - 1, "1", "-", null, undefined];
  const addrs = [
    0,
    4096,
    0x7f0000001234,
    2 ** 53 - 1,
    2 ** 53,
    -4096,
    1.5,
    "0x1000",
    "0X7F0000000000",
    "64K",
    "4096",
    "0x200000000000000",
    "0x1ffffffffffffff",
    "0xzz",
    "",
    null,
    undefined,
    true,
  ];
  const lens = [undefined, 0, 1, 8, 4097, "4K", "0x10", -1, 2.5, 2 ** 53, "8x", null];
  const extras: Record<string, unknown>[] = [{}, { line: 12 }, { line: "12" }, { object: "x" }];
  let checked = 0, valid = 0;
  for (const op of ["r", "w", "x"] as const) {
    for (const pid of pids) {
      for (const addr of addrs) {
        for (const len of lens) {
          for (const extra of extras) {
            const v: Record<string, unknown> = { pid, op, addr, ...extra };
            if (len !== undefined) v.len = len;
            if (pid === undefined) delete v.pid;
            if (addr === undefined) delete v.addr;
            const z = EVENT_SCHEMAS[op].safeParse(structuredClone(v));
            const got = eventFromJson(structuredClone(v));
            if (z.success) {
              const want = { ...z.data } as Record<string, unknown>;
              delete want.line;
              deepStrictEqual(got, want, JSON.stringify(v));
              valid++;
            } else {
              deepStrictEqual("message" in got, true, JSON.stringify(v));
            }
            checked++;
          }
        }
      }
    }
  }
  deepStrictEqual(checked > 20000 && valid > 1000, true);
});
