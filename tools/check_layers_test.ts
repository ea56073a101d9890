import { deepStrictEqual } from "node:assert/strict";
import { importsOf, isChecked, offences } from "./check_layers.ts";

Deno.test("check_layers: each folder's forbidden imports, tests exempt, uapi/ imports nothing", () => {
  const found = offences([
    { from: "core/machine.ts", line: 3, to: "trace/event.ts" },
    { from: "core/machine.ts", line: 4, to: "uapi/ops.ts" },
    { from: "core/machine_test.ts", line: 2, to: "trace/builder.ts" },
    { from: "trace/read.ts", line: 5, to: "core/counters.ts" },
    { from: "trace/read.ts", line: 6, to: "uapi/ops.ts" },
    { from: "analyze/replay.ts", line: 7, to: "core/machine.ts" },
    { from: "analyze/replay.ts", line: 8, to: "cli/_errors.ts" },
    { from: "analyze/store.ts", line: 9, to: "server/app.ts" },
    { from: "uapi/ops.ts", line: 1, to: "npm:zod@4.6.7" },
    { from: "uapi/ops.ts", line: 2, to: "uapi/flags.ts" },
    { from: "server/app.ts", line: 1, to: "cli/_sizes.ts" },
    { from: "cli/run.ts", line: 1, to: "core/knobs.ts" },
  ]);
  deepStrictEqual(found.map((o) => `${o.from}:${o.line} ${o.rule}`), [
    "analyze/replay.ts:8 analyze/ may not import cli/",
    "analyze/store.ts:9 analyze/ may not import server/",
    "core/machine.ts:3 core/ may not import trace/",
    "trace/read.ts:5 trace/ may not import core/",
    "uapi/ops.ts:1 uapi/ may not import anything outside it",
  ]);
  deepStrictEqual(
    ["core/a.ts", "core/a_test.ts", "tests/x.ts", "mod.ts", "trace/s.js"].map(isChecked),
    [true, false, false, false, false],
  );
});

Deno.test("check_layers: reads static, dynamic and type imports from Deno's module graph", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const d of ["core", "trace"]) await Deno.mkdir(`${root}/${d}`);
    await Deno.writeTextFile(`${root}/trace/event.ts`, "export type E = number;\n");
    await Deno.writeTextFile(
      `${root}/core/a.ts`,
      [
        "/**",
        " * @example",
        " * ```ts",
        ' * import { b } from "../trace/b.ts";',
        " * ```",
        " */",
        'import type { E } from "../trace/event.ts";',
        "export const a: E = 1;",
        'export const later = () => import("../trace/event.ts");',
        "",
      ].join("\n"),
    );
    await Deno.writeTextFile(`${root}/core/a_test.ts`, 'import "../trace/event.ts";\n');
    const found = offences(await importsOf(root));
    deepStrictEqual(found.map((o) => `${o.from}:${o.line} ${o.to}`), [
      "core/a.ts:7 trace/event.ts",
      "core/a.ts:9 trace/event.ts",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
