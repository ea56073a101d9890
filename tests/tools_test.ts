/** The "tool required" rule of `tests/_tools.ts`: fail under CI, skip with a note elsewhere. */
import { deepStrictEqual, equal, match, rejects } from "node:assert/strict";
import { howToInstall, withMissing } from "./_tools.ts";

const def = { name: "x", fn: () => {} };

Deno.test("tools: a test whose tools all work is left as it is", () => {
  equal(withMissing(def, [], true), def);
  equal(withMissing(def, [], false), def);
});

Deno.test("tools: under CI a missing tool fails the test, naming the package", async () => {
  const t = withMissing(def, ["perf", "strace"], true);
  equal(t.ignore, undefined);
  await rejects(
    async () => await t.fn!({} as Deno.TestContext),
    (e: Error) => {
      match(
        e.message,
        /needs perf \(apt-get install linux-perf\), strace \(apt-get install strace\)/,
      );
      match(e.message, /CI is set/);
      return true;
    },
  );
});

Deno.test("tools: outside CI a missing tool ignores the test; an ignored test stays ignored", () => {
  const warn = console.warn;
  const notes: string[] = [];
  console.warn = (m: string) => notes.push(m);
  try {
    deepStrictEqual(withMissing(def, ["valgrind"], false).ignore, true);
    deepStrictEqual(withMissing(def, ["valgrind"], false).ignore, true);
  } finally {
    console.warn = warn;
  }
  deepStrictEqual(notes, [
    "valgrind (apt-get install valgrind) not found: tests that need it are ignored " +
    "(with CI=true they fail)",
  ]);
  const ignored = { ...def, ignore: true };
  equal(withMissing(ignored, ["gcc"], true), ignored);
  equal(
    howToInstall(["chromium", "gcc"]),
    "chromium (apt-get install chromium), gcc (apt-get install gcc)",
  );
});
