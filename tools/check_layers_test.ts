import { deepStrictEqual } from "node:assert/strict";
import { importsOf, isChecked, offences } from "./check_layers.ts";

Deno.test("check_layers: each folder's forbidden imports, tests exempt, uapi/ imports nothing", () => {
  // each import as "FROM:LINE TO"
  const imports = [
    "core/machine.ts:3 trace/event.ts",
    "core/machine.ts:4 uapi/ops.ts",
    "core/machine_test.ts:2 trace/builder.ts",
    "trace/read.ts:5 core/counters.ts",
    "trace/read.ts:6 uapi/ops.ts",
    "analyze/replay.ts:7 core/machine.ts",
    "analyze/replay.ts:8 cli/_errors.ts",
    "analyze/store.ts:9 server/app.ts",
    "uapi/ops.ts:1 npm:zod@4.6.7",
    "uapi/ops.ts:2 uapi/flags.ts",
    "server/app.ts:1 cli/_sizes.ts",
    "cli/run.ts:1 core/knobs.ts",
  ].map((t) => {
    const [, from, line, to] = /^(\S+):(\d+) (\S+)$/.exec(t)!;
    return { from: from!, line: Number(line), to: to! };
  });
  const found = offences(imports);
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
