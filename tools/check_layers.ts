/**
 * The layer check: fails (exit 1) with the list of imports that break the layers, so that the
 * top level keeps flowing one way, `cli/` → `server/` → `analyze/` → `trace/` and `core/` →
 * `uapi/`, with `trace/` and `core/` never importing each other:
 *
 * - `core/` imports nothing from `trace/`, `analyze/`, `server/`, `cli/`;
 * - `trace/` imports nothing from `core/`, `analyze/`, `server/`, `cli/`;
 * - `analyze/` imports nothing from `server/` or `cli/`;
 * - `uapi/` (the event contract both `trace/` and `core/` share) imports nothing at all.
 *
 * Exempt: test files (`*_test.ts`, which may build traces for the machine or replay them), and the
 * examples in doc comments (`deno test --doc` runs them; they are not part of the module graph).
 * Every import counts, static or dynamic, `import type` included.
 *
 * The imports are read from Deno's own module graph (`deno info --json` over every module of the
 * layered folders), the way Deno std's `_tools/check_circular_deps.ts` reads its graph.
 *
 *     deno run --allow-read --allow-write --allow-run tools/check_layers.ts   (deno task check:layers)
 *
 * @module
 */
import { join, relative } from "node:path";

/** What a folder may not import: other top-level folders, or (`"*"`) anything outside itself. */
export const LAYER_RULES: Readonly<Record<string, readonly string[] | "*">> = {
  core: ["trace", "analyze", "server", "cli"],
  trace: ["core", "analyze", "server", "cli"],
  analyze: ["server", "cli"],
  uapi: "*",
};

/** One import: the importing file and line (1-based), and what it imports. */
export interface Import {
  /** The importing file, relative to the repository (`core/machine.ts`). */
  from: string;
  /** Its line. */
  line: number;
  /** The imported module: a path relative to the repository, or a specifier outside it. */
  to: string;
}

/** An import that breaks {@linkcode LAYER_RULES}, with the rule it breaks. */
export interface Offence extends Import {
  /** The rule in words: `core/ may not import trace/`. */
  rule: string;
}

/** The top-level folder of a repository path (`core` for `core/rmap/scan.ts`), or "" for a file at the top. */
function folderOf(path: string): string {
  const slash = path.indexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** Whether the check looks at the imports of `path`: a module of a folder with rules, not a test. */
export function isChecked(path: string): boolean {
  return folderOf(path) in LAYER_RULES && path.endsWith(".ts") && !path.endsWith("_test.ts");
}

/**
 * The imports among `imports` that break {@linkcode LAYER_RULES}.
 *
 * @example
 * ```ts
 * import { offences } from "./check_layers.ts";
 * const found = offences([
 *   { from: "core/machine.ts", line: 3, to: "trace/event.ts" },
 *   { from: "trace/read.ts", line: 9, to: "trace/batch.ts" },
 *   { from: "core/machine_test.ts", line: 2, to: "trace/builder.ts" },
 * ]);
 * if (found.length !== 1 || found[0]!.rule !== "core/ may not import trace/") throw new Error();
 * ```
 */
export function offences(imports: Iterable<Import>): Offence[] {
  const out: Offence[] = [];
  for (const imp of imports) {
    if (!isChecked(imp.from)) continue;
    const from = folderOf(imp.from);
    const rule = LAYER_RULES[from]!;
    const to = folderOf(imp.to);
    if (rule === "*") {
      if (to !== from) out.push({ ...imp, rule: `${from}/ may not import anything outside it` });
    } else if (rule.includes(to)) {
      out.push({ ...imp, rule: `${from}/ may not import ${to}/` });
    }
  }
  return out.sort((a, b) => a.from.localeCompare(b.from) || a.line - b.line);
}

/** A module in `deno info --json`'s graph, as far as this check reads it. */
interface GraphModule {
  specifier: string;
  dependencies?: {
    specifier: string;
    code?: { specifier?: string; span?: { start: { line: number } } };
    type?: { specifier?: string; span?: { start: { line: number } } };
  }[];
}

/** Every module below `root` (skipping `node_modules/` and dot folders) that the check reads. */
async function checkedFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await checkedFiles(root, path));
    else if (e.isFile && isChecked(relative(root, path))) out.push(path);
  }
  return out.sort();
}

/** The imports of every checked module below `root`, from Deno's module graph. */
export async function importsOf(root: string): Promise<Import[]> {
  const files = await checkedFiles(root);
  const entry = await Deno.makeTempFile({ prefix: "check_layers_", suffix: ".ts" });
  try {
    const toUrl = (p: string) => new URL(`file://${p}`).href;
    await Deno.writeTextFile(
      entry,
      files.map((f) => `import ${JSON.stringify(toUrl(f))};\n`).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: GraphModule[] };
    const base = toUrl(root.endsWith("/") ? root : root + "/");
    const local = (url: string) => url.startsWith(base) ? url.slice(base.length) : undefined;
    const imports = new Map<string, Import>();
    for (const m of graph.modules) {
      const from = local(m.specifier);
      if (from === undefined) continue;
      for (const d of m.dependencies ?? []) {
        for (const r of [d.code, d.type]) {
          if (r?.specifier === undefined) continue;
          const imp = {
            from,
            line: (r.span?.start.line ?? 0) + 1,
            to: local(r.specifier) ?? r.specifier,
          };
          imports.set(`${imp.from}:${imp.line}:${imp.to}`, imp);
        }
      }
    }
    return [...imports.values()];
  } finally {
    await Deno.remove(entry);
  }
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
  const found = offences(await importsOf(root));
  const folders = Object.keys(LAYER_RULES).map((f) => `${f}/`).join(", ");
  if (found.length === 0) {
    console.log(`Layer check: no import in ${folders} breaks the layers.`);
  } else {
    console.log(
      `Layer check: ${
        found.length === 1 ? "1 import breaks" : `${found.length} imports break`
      } the layers ` +
        `(test files and doc examples are exempt):`,
    );
    for (const o of found) console.log(`  ${o.from}:${o.line} imports ${o.to} (${o.rule})`);
    Deno.exit(1);
  }
}
