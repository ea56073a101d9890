/**
 * `vmreplay serve`: the dashboard over a results store.
 *
 * @module
 */
import { parseCommand } from "./_args.ts";
import { InputError, runCommand, UsageError } from "./_errors.ts";
import { parseSize } from "./_sizes.ts";
import { DEFAULT_DB_PATH, openStore } from "../analyze/store.ts";
import { DEFAULT_UPLOAD_INFLATE, DEFAULT_UPLOAD_LIMIT } from "../server/app.ts";
import { serveDashboard } from "../server/serve.ts";

/** The options part of `--help` of `serve` and `start`. */
export const SERVE_HELP_OPTIONS = `Options:
  --port N              port (default 8000; 0 picks a free one)
  --host ADDR           interface (default 127.0.0.1: this machine only)
  --db FILE             results store (default ${DEFAULT_DB_PATH})
  --upload-limit SIZE   largest trace upload (default ${DEFAULT_UPLOAD_LIMIT / 2 ** 20}M)
  --max-inflate SIZE    most a compressed upload may inflate to (default ${
  DEFAULT_UPLOAD_INFLATE / 2 ** 30
}G; beyond: 413)
  -h, --help            this help
`;

const HELP =
  `Usage: vmreplay serve [--port 8000] [--host 127.0.0.1] [--db FILE] [--upload-limit SIZE]
       [--max-inflate SIZE]

Serves the dashboard: the stored runs, each run's charts and tables, comparisons, and a form to
upload and replay a trace. Everything (Chart.js included) is served by vmreplay itself.

${SERVE_HELP_OPTIONS}`;

/** Options `serve` and `start` share. */
export const SERVE_OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  db: { type: "string" },
  "upload-limit": { type: "string" },
  "max-inflate": { type: "string" },
} as const;

/** Parsed `serve` options. */
export interface ServeArgs {
  port: number;
  host: string;
  db: string;
  uploadLimit: number;
  maxInflate: number;
}

/** Checks the values of {@linkcode SERVE_OPTIONS}; throws {@linkcode UsageError}. */
export function serveArgs(values: Partial<Record<keyof typeof SERVE_OPTIONS, string>>): ServeArgs {
  const port = values.port ?? "8000";
  if (!/^\d+$/.test(port) || Number(port) > 65535) {
    throw new UsageError(`--port: expected a port number 0-65535, found '${port}'`);
  }
  const uploadLimit = values["upload-limit"] === undefined
    ? DEFAULT_UPLOAD_LIMIT
    : parseSize(values["upload-limit"], "--upload-limit");
  if (uploadLimit < 1) throw new UsageError("--upload-limit: expected a size above 0");
  const maxInflate = values["max-inflate"] === undefined
    ? DEFAULT_UPLOAD_INFLATE
    : parseSize(values["max-inflate"], "--max-inflate");
  if (maxInflate < 1) throw new UsageError("--max-inflate: expected a size above 0");
  return {
    maxInflate,
    port: Number(port),
    host: values.host ?? "127.0.0.1",
    db: values.db ?? DEFAULT_DB_PATH,
    uploadLimit,
  };
}

/**
 * Opens the results store at `path` for a command; a file that cannot be a store (not SQLite, a
 * directory, an unwritable place) is an {@linkcode InputError} naming it (exit 1).
 */
export function openCommandStore(path: string): ReturnType<typeof openStore> {
  try {
    return openStore(path);
  } catch (e) {
    throw new InputError(`${path}: cannot open the results store: ${(e as Error).message}`);
  }
}

/**
 * The error for a port the dashboard cannot listen on: a busy one named with the `--port` hint
 * (exit 1), anything else as the system said it.
 */
function listenError(e: unknown, args: ServeArgs): unknown {
  if (e instanceof Deno.errors.AddrInUse) {
    return new InputError(
      `vmreplay: port ${args.port} on ${args.host} is already in use (another vmreplay serve?); ` +
        `choose another with --port, e.g. --port ${args.port === 65535 ? 8001 : args.port + 1}, ` +
        `or --port 0 for any free port`,
    );
  }
  if (e instanceof Deno.errors.AddrNotAvailable || e instanceof Deno.errors.PermissionDenied) {
    return new InputError(
      `vmreplay: cannot listen on ${args.host} port ${args.port}: ${(e as Error).message}; ` +
        `see --host and --port`,
    );
  }
  return e;
}

/**
 * Checks, before any long work, that the dashboard will be able to listen where `args` say;
 * throws {@linkcode InputError} naming the port otherwise.
 */
export function checkListen(args: ServeArgs): void {
  if (args.port === 0) return;
  try {
    Deno.listen({ hostname: args.host, port: args.port }).close();
  } catch (e) {
    throw listenError(e, args);
  }
}

/** Serves until interrupted (Ctrl-C), then closes the store. */
export async function serveUntilInterrupted(args: ServeArgs, store = openCommandStore(args.db)) {
  let dash;
  try {
    dash = serveDashboard({
      store,
      host: args.host,
      port: args.port,
      uploadLimit: args.uploadLimit,
      maxInflate: args.maxInflate,
    });
  } catch (e) {
    store.close();
    throw listenError(e, args);
  }
  console.log(`vmreplay dashboard: ${dash.url}  (results store ${args.db}; Ctrl-C stops)`);
  const stop = () => dash.close();
  Deno.addSignalListener("SIGINT", stop);
  try {
    await dash.finished;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    store.close();
  }
}

/** Runs `vmreplay serve ARGS`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await runCommand("serve", HELP, async () => {
    const parsed = parseCommand({
      name: "serve",
      help: HELP,
      options: SERVE_OPTIONS,
      positionals: false,
    }, args);
    if (!parsed) return 0;
    const opts = serveArgs(parsed.values);
    checkListen(opts);
    await serveUntilInterrupted(opts);
    return 0;
  });
}
