/** Every command's `--help`, as a user reads it in an 100-column terminal. */
import { deepStrictEqual, ok } from "node:assert/strict";
import { vmreplay } from "./_cli.ts";

Deno.test("every command's --help starts with its usage and fits in 100 columns", async () => {
  const top = await vmreplay("--help");
  deepStrictEqual(top.code, 0, top.stderr);
  const commands = [...top.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]!);
  ok(commands.length >= 12 && commands.includes("run") && commands.includes("start"), top.stdout);
  for (const name of commands) {
    const r = await vmreplay(name, "--help");
    deepStrictEqual(r.code, 0, `${name}: ${r.stderr}`);
    ok(r.stdout.startsWith(`Usage: vmreplay ${name}`), `${name}: ${r.stdout.slice(0, 80)}`);
    for (const line of r.stdout.split("\n")) {
      ok(line.length <= 100, `${name} --help: a line of ${line.length} columns: ${line}`);
    }
  }
});
