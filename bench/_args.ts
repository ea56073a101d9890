/**
 * The bench scripts' options, parsed as `vmreplay`'s commands parse theirs (`parseCommand`):
 * `--help` prints the script's usage and exits 0; an unknown option or a missing value prints
 * one line saying what was wrong, then the usage line, and exits 2 (not a stack trace).
 *
 * @module
 */
import type { ParseArgsConfig } from "node:util";
import { parseCommand } from "../cli/_args.ts";

/**
 * The values of this script's options (`Deno.args`), parsed against `options` (no positional
 * arguments); `name` names the script in an error, `usage` (its first line: the usage line) is
 * what `--help` prints.
 */
export function benchArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  name: string,
  usage: string,
  options: O,
) {
  let parsed;
  try {
    parsed = parseCommand({ name, help: usage, options, positionals: false }, Deno.args);
  } catch (e) {
    console.error(`${name}: ${(e as Error).message}\n${usage.split("\n")[0]}`);
    Deno.exit(2);
  }
  if (parsed === undefined) Deno.exit(0);
  return parsed.values;
}
