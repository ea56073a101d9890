import { deepStrictEqual, ok } from "node:assert/strict";
import { lockPressure } from "./pressure.ts";

Deno.test("lockPressure: a second calibration waits for the first, told who holds the lock", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vmreplay-lock-test-" });
  const path = `${dir}/lock`;
  try {
    // Another process takes the lock (as calibrate does), says so on its standard output, and
    // holds it until its standard input closes.
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { lockPressure } from ${
          JSON.stringify(new URL("./pressure.ts", import.meta.url).href)
        };
         const release = await lockPressure(${JSON.stringify(path)});
         console.log("held");
         for await (const _ of Deno.stdin.readable) { /* until closed */ }
         release();`,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
    deepStrictEqual((await reader.read()).value?.trim(), "held");
    const waits: string[] = [];
    let got = false;
    const mine = lockPressure(path, (who) => waits.push(who)).then((release) => {
      got = true;
      return release;
    });
    // Still held: this one waits, and after half a second says for whom (polled, so that a slow
    // machine only makes the test slower).
    for (let i = 0; i < 200 && waits.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    deepStrictEqual([got, waits], [false, [String(holder.pid)]]);
    await holder.stdin.close();
    await holder.status;
    await reader.cancel();
    const release = await mine;
    ok(got);
    deepStrictEqual((await Deno.readTextFile(path)).trim(), String(Deno.pid));
    release();
    // Released: taken again at once, without waiting.
    const again = await lockPressure(path, () => waits.push("again"));
    again();
    deepStrictEqual(waits, [String(holder.pid)]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
