/**
 * `capture`: runs real programs under strace and Valgrind lackey, and explains missing tools.
 */
import { deepStrictEqual, equal, match } from "node:assert/strict";
import { join } from "node:path";
import { readTrace } from "../trace/read.ts";
import { replayTrace } from "../analyze/replay.ts";
import { needs } from "./_tools.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function vmreplay(args: string[], env?: Record<string, string>) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    ...(env ? { env, clearEnv: true } : {}),
  }).output();
  return {
    code: r.code,
    out: new TextDecoder().decode(r.stdout),
    err: new TextDecoder().decode(r.stderr),
  };
}

async function ops(path: string): Promise<Record<string, number>> {
  const r = await readTrace(path);
  const n: Record<string, number> = {};
  for await (const ev of r.events()) n[ev.op] = (n[ev.op] ?? 0) + 1;
  await r.close();
  return n;
}

Deno.test(needs(["strace"], {
  name: "vmreplay capture -- a shell pipeline: forks, execs, exits, replays cleanly",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const out = join(dir, "pipe.vmt");
      const r = await vmreplay([
        "capture",
        "-o",
        out,
        "--",
        "sh",
        "-c",
        "echo hi | cat >/dev/null",
      ]);
      equal(r.code, 0, r.err);
      match(
        r.err,
        /'sh -c echo hi \| cat >\/dev\/null' exited with status 0; .*pipe\.vmt: \d+ events/,
      );
      // The loaders' mprotect of RELRO pages that execve mapped: counted in one line, as import
      // prints it, not warned about.
      match(r.err, /^skipped: \d+ calls? wholly on memory the trace never mapped/m);
      equal(/: warning: /.test(r.err), false, r.err);
      const n = await ops(out);
      equal(n.exit, 3);
      equal((n.fork ?? 0) + (n.clone ?? 0), 2);
      const run = await replayTrace({ trace: out, strategies: ["anon_vma_chain"], verify: true });
      const c = run.results.anon_vma_chain!.counters;
      deepStrictEqual([c.verify_errors, c.warnings, c.segv], [0, 0, 0]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test(needs(["valgrind"], {
  name: "vmreplay capture --accesses -- /bin/true: loads and stores from lackey, replays cleanly",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const out = join(dir, "true.vmtb");
      const r = await vmreplay([
        "capture",
        "--accesses",
        "--no-instr",
        "--coalesce",
        "-o",
        out,
        "--",
        "/bin/true",
      ]);
      equal(r.code, 0, r.err);
      match(
        r.err,
        /'\/bin\/true' exited with status 0; .*true\.vmtb: \d+ events \(\d+ accesses, [1-9]\d* mapping calls\)/,
      );
      const n = await ops(out);
      equal(n.exit, 1);
      equal(n.x, undefined);
      const run = await replayTrace({ trace: out, strategies: ["anon_vma_chain"], verify: true });
      const c = run.results.anon_vma_chain!.counters;
      deepStrictEqual([c.verify_errors, c.warnings, c.segv], [0, 0, 0]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test("vmreplay capture: usage errors exit 2; a missing strace, perf or program exits 1 with what to do", async () => {
  const noCmd = await vmreplay(["capture", "-o", "x.vmt"]);
  equal(noCmd.code, 2);
  match(noCmd.err, /expected '-- COMMAND \[ARGS\.\.\.\]'/);
  const badTouch = await vmreplay(["capture", "--accesses", "--touch", "all", "--", "true"]);
  equal(badTouch.code, 2);
  const both = await vmreplay(["capture", "--accesses", "--perf", "--", "true"]);
  equal(both.code, 2);
  match(both.err, /--accesses and --perf exclude each other/);
  const perfTouch = await vmreplay(["capture", "--perf", "--touch", "all", "--", "true"]);
  equal(perfTouch.code, 2);
  const noPerf = await vmreplay(["capture", "--perf", "--", "true"], {
    PATH: "/nonexistent",
    HOME: "/tmp",
  });
  equal(noPerf.code, 1);
  match(noPerf.err, /perf is needed for --perf but was not found .*apt-get install linux-perf/);
  const noStrace = await vmreplay(["capture", "--", "true"], {
    PATH: "/nonexistent",
    HOME: "/tmp",
  });
  equal(noStrace.code, 1);
  match(
    noStrace.err,
    /strace is needed but was not found\. Install it \(Debian\/Ubuntu: apt-get install strace/,
  );
  const noValgrind = await vmreplay(["capture", "--accesses", "--", "true"], {
    PATH: "/nonexistent",
    HOME: "/tmp",
  });
  equal(noValgrind.code, 1);
  match(noValgrind.err, /valgrind is needed for --accesses but was not found/);
});

Deno.test(needs(["strace"], {
  name: "vmreplay capture of a program that does not exist exits 1 and writes no trace",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const out = join(dir, "m.vmt");
      const missing = await vmreplay(["capture", "-o", out, "--", "/nonexistent/prog"]);
      equal(missing.code, 1);
      match(missing.err, /could not be traced .*no trace written/);
      deepStrictEqual([...Deno.readDirSync(dir)], []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));
