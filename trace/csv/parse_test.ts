import { deepStrictEqual } from "node:assert/strict";
import { readTraceBytes } from "../read.ts";
import type { Event } from "../event.ts";

async function events(text: string): Promise<Event[]> {
  const r = await readTraceBytes(new TextEncoder().encode(text), { name: "t.csv" });
  const out: Event[] = [];
  for await (const e of r.events()) out.push(e);
  return out;
}

Deno.test("CSV rows read the same with or without quotes, whatever the blanks around cells", async () => {
  const head = "pid,op,addr,len,prot,flags\n";
  // the same rows: plain (split at commas) and with every cell quoted (read by csv-parse)
  const rows = [
    ["1", "mmap", "0x10000", "64K", "rw-", "private,anon"],
    [" 1", " w ", "\t0x10000", "8 ", "", ""],
    ["1\u00a0", "r", "0x10008\u3000", "", "", ""],
  ];
  const plain = rows.map((r) => r.map((c) => (c.includes(",") ? `"${c}"` : c)).join(","));
  const quoted = rows.map((r) => r.map((c) => `"${c.trim()}"`).join(","));
  const a = await events(head + plain.join("\n") + "\n");
  const b = await events(head + quoted.join("\n") + "\n");
  deepStrictEqual(a.map((e) => ({ ...e, line: 0 })), b.map((e) => ({ ...e, line: 0 })));
  deepStrictEqual(a.map((e) => [e.op, e.line]), [["mmap", 2], ["w", 3], ["r", 4]]);
  deepStrictEqual(a[2], { pid: 1, op: "r", addr: 0x10008, len: 1, line: 4 });
});
