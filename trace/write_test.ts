import assert from "node:assert/strict";
import { writeTrace } from "./write.ts";
import type { Event } from "./event.ts";

const HEADER = { version: 1 } as const;

function* failing(): Generator<Event> {
  for (let i = 0; i < 50_000; i++) yield { pid: 1, op: "w", addr: 0x1000, len: 8 };
  throw new Error("generator failed");
}

Deno.test("writeTrace() removes its temporary file when the events throw", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["t.vmt", "t.vmtb", "t.jsonl.gz", "t.csv"]) {
      await assert.rejects(writeTrace(`${dir}/${name}`, HEADER, failing()), /generator failed/);
      assert.deepEqual([...Deno.readDirSync(dir)], [], name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeTrace() removes its temporary file when the process is interrupted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const write = new URL("./write.ts", import.meta.url).href;
    const script = `import { writeTrace } from "${write}";
      function* forever() { for (;;) yield { pid: 1, op: "w", addr: 0x1000, len: 8 }; }
      await writeTrace(${JSON.stringify(`${dir}/t.vmt.gz`)}, { version: 1 }, forever());`;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["eval", script],
        stdout: "null",
        stderr: "null",
      }).spawn();
      // Wait until the temporary file exists and has grown.
      for (let tries = 0; tries < 600; tries++) {
        const files = [...Deno.readDirSync(dir)];
        if (files.length === 1 && Deno.statSync(`${dir}/${files[0]!.name}`).size > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal([...Deno.readDirSync(dir)].length, 1, "no temporary file appeared");
      child.kill(signal);
      const status = await child.status;
      assert.equal(status.code, signal === "SIGINT" ? 130 : 143);
      assert.deepEqual([...Deno.readDirSync(dir)], [], signal);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
