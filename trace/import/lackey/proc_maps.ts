/**
 * Parsing a `/proc/PID/maps` snapshot into areas, so an access trace without mapping calls
 * (Valgrind lackey) can start from the process's real layout.
 *
 * @module
 */
import { MapFlag, PAGE_SIZE, Prot } from "../../event.ts";
import type { Area } from "../area_map.ts";
import { ImportError } from "../import_stats.ts";

/**
 * Parses the text of `/proc/PID/maps` (`start-end perms offset dev inode [path]` per line) into
 * areas, in page numbers. Paths starting with `/` become `file:PATH` objects (`tmpfs:` under
 * `/dev/shm`, `shm:ID` for System V segments `/SYSV... (deleted)` with the inode as id);
 * `[heap]`, `[stack]` and unnamed lines are anonymous, `[stack]` grows down. Kernel areas
 * (`[vsyscall]`, `[vvar]`, `[vdso]`) are left out. Throws {@linkcode ImportError} for a malformed
 * line.
 *
 * @example
 * ```ts
 * import { parseProcMaps } from "./proc_maps.ts";
 * const areas = parseProcMaps(
 *   "00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/dbus-daemon\n" +
 *     "7ffd0000-7ffd2000 rw-p 00000000 00:00 0 [stack]\n",
 *   "maps",
 * );
 * if (areas.length !== 2 || areas[0]!.object !== "file:/usr/bin/dbus-daemon") throw new Error();
 * ```
 */
export function parseProcMaps(text: string, name: string): Area[] {
  const out: Area[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const m =
      /^([0-9a-fA-F]+)-([0-9a-fA-F]+)\s+([r-][w-][x-][ps])\s+([0-9a-fA-F]+)\s+\S+\s+(\d+)\s*(.*)$/
        .exec(line);
    if (!m) {
      throw new ImportError(
        name,
        i + 1,
        `expected a /proc/PID/maps line 'START-END PERMS OFFSET DEV INODE [PATH]', found '${line}'`,
      );
    }
    const start = parseInt(m[1]!, 16);
    const end = parseInt(m[2]!, 16);
    if (!(end > start) || end > 2 ** 52) continue; // [vsyscall] sits above the user range
    const perms = m[3]!;
    const path = m[6]!.trim();
    if (
      path === "[vsyscall]" || path === "[vvar]" || path === "[vdso]" || path === "[vvar_vclock]"
    ) {
      continue;
    }
    let prot = 0;
    if (perms[0] === "r") prot |= Prot.read;
    if (perms[1] === "w") prot |= Prot.write;
    if (perms[2] === "x") prot |= Prot.exec;
    let flags: number = perms[3] === "s" ? MapFlag.shared : MapFlag.private;
    const area: Area = {
      start: Math.floor(start / PAGE_SIZE),
      end: Math.ceil(end / PAGE_SIZE),
      prot,
      flags,
      pgoff: 0,
    };
    const sysv = /^\/SYSV[0-9a-fA-F]+ \(deleted\)$/.exec(path);
    if (sysv) {
      area.object = `shm:${m[5]}`;
      area.pgoff = Math.floor(parseInt(m[4]!, 16) / PAGE_SIZE);
    } else if (path.startsWith("/")) {
      const p = path.replace(/ \(deleted\)$/, "").replace(
        /[\s#%]/g,
        (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
      );
      area.object = p.startsWith("/dev/shm/") || p.startsWith("/memfd:")
        ? `tmpfs:${p}`
        : `file:${p}`;
      area.pgoff = Math.floor(parseInt(m[4]!, 16) / PAGE_SIZE);
    } else {
      flags |= MapFlag.anon;
      if (path === "[stack]") flags |= MapFlag.growsdown;
      area.flags = flags;
    }
    out.push(area);
  }
  return out;
}
