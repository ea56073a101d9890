/**
 * Test helper: tests that need a tool from outside (strace, Valgrind, gcc, perf, Chromium).
 *
 * `Deno.test(needs(["strace"], { name, fn }))` runs the test when every tool works. When one
 * does not: with `CI` set (to anything but `0` or `false`) the test fails, naming the tool and
 * the Debian package that provides it (`.ci/run` installs them all), so a CI machine that lacks a
 * tool cannot pass by skipping its tests; without `CI` it is ignored, and one line on standard
 * error says why and how to install the tool.
 *
 * A tool "works" when a harmless command of it succeeds (`strace -V`, `perf stat true`, ...):
 * a perf that the kernel forbids to count counts as missing.
 *
 * @module
 */

/** A tool some tests need. */
export type Tool = "strace" | "valgrind" | "gcc" | "perf" | "chromium";

/** How to try each tool, and the Debian package that provides it. */
const TOOLS: Record<Tool, { cmd: string[]; pkg: string }> = {
  strace: { cmd: ["strace", "-V"], pkg: "strace" },
  valgrind: { cmd: ["valgrind", "--version"], pkg: "valgrind" },
  gcc: { cmd: ["gcc", "--version"], pkg: "gcc" },
  perf: { cmd: ["perf", "stat", "-e", "task-clock", "-x", ",", "true"], pkg: "linux-perf" },
  chromium: {
    cmd: ["/usr/bin/chromium", "--headless", "--no-sandbox", "--version"],
    pkg: "chromium",
  },
};

const works = new Map<Tool, boolean>();
const warned = new Set<string>();

/** Whether `tool` runs here (tried once per test process). */
export function hasTool(tool: Tool): boolean {
  let ok = works.get(tool);
  if (ok === undefined) {
    const [cmd, ...args] = TOOLS[tool].cmd;
    try {
      ok = new Deno.Command(cmd!, { args, stdin: "null", stdout: "null", stderr: "null" })
        .outputSync().success;
    } catch {
      ok = false;
    }
    works.set(tool, ok);
  }
  return ok;
}

/** Whether the tests run under CI (`CI` set, and not to `0` or `false`). */
export function inCI(): boolean {
  const v = Deno.env.get("CI");
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** What to install for `tools`: `strace (apt-get install strace), ...`. */
export function howToInstall(tools: readonly Tool[]): string {
  return tools.map((t) => `${t} (apt-get install ${TOOLS[t].pkg})`).join(", ");
}

/**
 * The test `def`, given that it needs `tools`: unchanged when they all work (or when `def` is
 * ignored anyway); failing at once under CI when one does not; ignored, with a note on standard
 * error, otherwise.
 */
export function needs(tools: readonly Tool[], def: Deno.TestDefinition): Deno.TestDefinition {
  if (def.ignore === true) return def;
  return withMissing(def, tools.filter((t) => !hasTool(t)), inCI());
}

/** {@linkcode needs} once the missing tools are known (separate so that it can be tested). */
export function withMissing(
  def: Deno.TestDefinition,
  missing: readonly Tool[],
  ci: boolean,
): Deno.TestDefinition {
  if (missing.length === 0 || def.ignore === true) return def;
  const what = howToInstall(missing);
  if (ci) {
    return {
      ...def,
      fn: () => {
        throw new Error(`This test needs ${what}, which does not work here, and CI is set`);
      },
    };
  }
  const note = `${what} not found: tests that need it are ignored (with CI=true they fail)`;
  if (!warned.has(note)) {
    warned.add(note);
    console.warn(note);
  }
  return { ...def, ignore: true };
}
