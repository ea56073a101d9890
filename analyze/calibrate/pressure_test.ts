import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { lockPressure, PressureEnv } from "./pressure.ts";

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

Deno.test("PressureEnv.oomKills() reads the cgroup's count of OOM kills, v1 and v2", async () => {
  const root = await Deno.makeTempDir({ prefix: "vmreplay-oom-test-" });
  try {
    const v1 = new PressureEnv({ dir: root, version: 1 }, root, "v1");
    const v2 = new PressureEnv({ dir: root, version: 2 }, root, "v2");
    // No cgroup directory (or a kernel without the count): none.
    equal(await v1.oomKills(), 0);
    await Deno.mkdir(v1.cgroup);
    await Deno.mkdir(v2.cgroup);
    await Deno.writeTextFile(
      `${v1.cgroup}/memory.oom_control`,
      "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
    );
    await Deno.writeTextFile(
      `${v2.cgroup}/memory.events`,
      "low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n",
    );
    equal(await v1.oomKills(), 1);
    equal(await v2.oomKills(), 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("PressureEnv.swapRanOut(): whether a larger swap file could help a probe the OOM killer ended", async () => {
  const root = await Deno.makeTempDir({ prefix: "vmreplay-swapout-test-" });
  try {
    const v1 = new PressureEnv({ dir: root, version: 1 }, root, "v1", 4 << 20);
    const v2 = new PressureEnv({ dir: root, version: 2 }, root, "v2", 4 << 20);
    // A cgroup that does not say (v1 without swap accounting): unknown.
    deepStrictEqual([await v1.swapRanOut(), await v2.swapRanOut()], [null, null]);
    await Deno.mkdir(v1.cgroup);
    await Deno.mkdir(v2.cgroup);
    // v1: memory and swap together peaked under 90 % of the 4 MiB swap file, then over it.
    await Deno.writeTextFile(`${v1.cgroup}/memory.memsw.max_usage_in_bytes`, `${3 << 20}\n`);
    equal(await v1.swapRanOut(), false);
    await Deno.writeTextFile(`${v1.cgroup}/memory.memsw.max_usage_in_bytes`, `${20 << 20}\n`);
    equal(await v1.swapRanOut(), true);
    // v2: a swap allocation failed, or none did.
    await Deno.writeTextFile(`${v2.cgroup}/memory.swap.events`, "high 0\nmax 0\nfail 0\n");
    equal(await v2.swapRanOut(), false);
    await Deno.writeTextFile(`${v2.cgroup}/memory.swap.events`, "high 0\nmax 0\nfail 3\n");
    equal(await v2.swapRanOut(), true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
