/**
 * Import loops of a folder: the strongly connected components of the graph of its modules'
 * imports, ignoring type-only imports (`import type`, `export type`, and imports whose every name
 * is marked `type`: they vanish at run time) and the examples of doc comments. Test files
 * (`*_test.ts`) are left out.
 *
 * ```sh
 * deno run --allow-read tools/import_loops.ts [--all] [--max N] [DIR]   # DIR: core/ by default
 * ```
 *
 * Prints each loop of more than one module, biggest first, with the imports that close it, then a
 * summary line. `--all` counts type-only imports too; `--max N` exits with status 1 when a loop
 * has more than N modules (for a CI check).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join, relative, resolve } from "node:path";

/** One import of a module: the module it names and whether only types come through it. */
export interface ImportEdge {
  /** The imported module, resolved to an absolute path. */
  target: string;
  /** True for `import type`, `export type`, or imports of `type` names only. */
  typeOnly: boolean;
}

/**
 * The relative imports and re-exports of a module's source, comments (doc examples included)
 * left out.
 *
 * @example
 * ```ts
 * import { importsOf } from "./import_loops.ts";
 * const src = 'import type { A } from "./a.ts";\nimport { type B, c } from "./b.ts";\n' +
 *   '/** import { d } from "./d.ts"; *\/\nexport { e } from "./e.ts";\n';
 * const got = importsOf(src, "/x/m.ts").map((e) => `${e.target} ${e.typeOnly}`);
 * if (got.join() !== "/x/a.ts true,/x/b.ts false,/x/e.ts false") throw new Error(got.join());
 * ```
 */
export function importsOf(source: string, file: string): ImportEdge[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: ImportEdge[] = [];
  const re = /^(import|export)\s+(type\s+)?([^;]*?)\s*from\s*"(\.[^"]+)"|^import\s+"(\.[^"]+)"/gm;
  for (const m of code.matchAll(re)) {
    const spec = m[4] ?? m[5]!;
    let typeOnly = m[2] !== undefined;
    const names = m[3] ?? "";
    const braces = /^\{([\s\S]*)\}$/.exec(names.trim());
    if (!typeOnly && braces !== null) {
      const items = braces[1]!.split(",").map((s) => s.trim()).filter((s) => s !== "");
      typeOnly = items.length > 0 && items.every((s) => s.startsWith("type "));
    }
    out.push({ target: resolve(dirname(file), spec), typeOnly });
  }
  return out;
}

/**
 * The strongly connected components of a graph (Tarjan), each a list of nodes; components of one
 * node are included.
 *
 * @example
 * ```ts
 * import { components } from "./import_loops.ts";
 * const g = new Map([["a", ["b"]], ["b", ["a", "c"]], ["c", []]]);
 * const sizes = components(g).map((c) => c.length).sort();
 * if (sizes.join() !== "1,2") throw new Error(sizes.join());
 * ```
 */
export function components(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      out.push(c);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

async function* modules(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* modules(p);
    else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) yield p;
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { all: { type: "boolean", default: false }, max: { type: "string" } },
    allowPositionals: true,
  });
  const dir = resolve(positionals[0] ?? "core");
  const max = values.max === undefined ? Infinity : Number(values.max);
  if (!(max >= 1)) {
    console.error(`import_loops: --max takes a whole number of modules, found '${values.max}'`);
    Deno.exit(2);
  }
  const graph = new Map<string, string[]>();
  for await (const file of modules(dir)) {
    const edges = importsOf(await Deno.readTextFile(file), file);
    graph.set(file, edges.filter((e) => values.all || !e.typeOnly).map((e) => e.target));
  }
  const name = (p: string) => relative(dir, p);
  const loops = components(graph).filter((c) => c.length > 1)
    .sort((a, b) => b.length - a.length);
  for (const loop of loops) {
    const members = new Set(loop);
    console.log(`loop of ${loop.length}: ${loop.map(name).sort().join(" ")}`);
    for (const m of [...loop].sort()) {
      const inside = graph.get(m)!.filter((t) => members.has(t)).map(name).sort();
      console.log(`  ${name(m)} -> ${inside.join(" ")}`);
    }
  }
  const biggest = loops.length === 0 ? 1 : loops[0]!.length;
  console.log(
    `${graph.size} modules in ${name(dir) || relative(Deno.cwd(), dir) || "."}, ` +
      `${loops.length} loop${loops.length === 1 ? "" : "s"}, the biggest of ${biggest} modules` +
      (values.all ? " (type-only imports counted)" : " (type-only imports left out)"),
  );
  if (biggest > max) {
    console.error(`import_loops: a loop of ${biggest} modules, more than --max ${max}`);
    Deno.exit(1);
  }
}
