import assert from "node:assert/strict";
import { main, workloadHelp } from "./gen.ts";
import { generateWorkload } from "../trace/gen/generate.ts";
import { WORKLOADS } from "../trace/gen/registry.ts";
import { readTrace } from "../trace/read.ts";
import type { Event } from "../trace/event.ts";
import { captured } from "../tests/_cli.ts";

/** Runs `gen` with console output captured; returns the exit code and what it printed. */
const gen = (args: string[]) => captured(main, args);

async function readAll(path: string): Promise<Event[]> {
  const r = await readTrace(path);
  const events: Event[] = [];
  for await (const e of r.events()) {
    const { line: _, ...rest } = e;
    events.push(rest as Event);
  }
  await r.close();
  return events;
}

Deno.test("gen writes the workload's events in the form the extension names", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const expected = [...generateWorkload("aim7", { children: 2, pages: 4 }).events];
    for (const ext of ["vmt", "jsonl", "vmtb.gz"]) {
      const path = `${dir}/aim7.${ext}`;
      const r = await gen(["aim7", "--children=2", "--pages", "4", "-o", path]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /wrote .*aim7\.\w+.* \(\d+ events; children=2 pages=4 cow=4/);
      assert.deepEqual(await readAll(path), expected);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gen --list names every workload; WORKLOAD --help shows parameters and defaults", async () => {
  const list = await gen(["--list"]);
  assert.equal(list.code, 0);
  for (const name of Object.keys(WORKLOADS)) assert.match(list.out, new RegExp(`^  ${name} `, "m"));
  const help = await gen(["fork-chain", "--help"]);
  assert.equal(help.code, 0);
  assert.equal(help.out, workloadHelp(WORKLOADS["fork-chain"]!));
  assert.match(help.out, /--depth=N +generations/);
  assert.match(help.out, /default \d+K \(three quarters of the footprint\)/);
});

Deno.test("gen reports usage errors with exit code 2", async () => {
  const cases: [string[], RegExp][] = [
    [["aim7"], /Expected -o OUT/],
    [["nope", "-o", "x.vmt"], /Unknown workload 'nope'; expected one of aim7/],
    [
      ["aim7", "--kids=3", "-o", "x.vmt"],
      /Workload 'aim7' has no parameter --kids; it takes --children/,
    ],
    [["aim7", "--children=0", "-o", "x.vmt"], /--children: must be at least 1, found 0/],
    [["aim7", "--mem=lots", "-o", "x.vmt"], /--mem: expected a size/],
    [
      ["aim7", "--children=2147483647", "-o", "x.vmt"],
      /--children: must be at most 2147483646 \(process ids end at 2147483647\), found 2147483647/,
    ],
    [["zygote", "--apps=3000000000", "-o", "x.vmt"], /--apps: must be at most 2147483646/],
    [["fork-server", "--children=3000000000", "-o", "x.vmt"], /must be at most 2147483646/],
    [["fork-chain", "--depth=3000000000", "-o", "x.vmt"], /must be at most 2147483646/],
    [[], /Expected a WORKLOAD/],
  ];
  for (const [args, message] of cases) {
    const r = await gen(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.err, message);
  }
});

Deno.test("gen -o - prints the same text as gen -o FILE.vmt, streamed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/z.vmt`;
    const args = ["zygote", "--apps=3", "--pages=16", "--libs=16", "--heap=4"];
    assert.equal((await gen([...args, "-o", file])).code, 0);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../main.ts", import.meta.url).pathname,
        "gen",
        ...args,
        "-o",
        "-",
      ],
      stdout: "piped",
    }).output();
    assert.equal(out.code, 0);
    assert.equal(new TextDecoder().decode(out.stdout), await Deno.readTextFile(file));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
