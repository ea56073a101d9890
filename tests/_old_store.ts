/**
 * Test helper: a results store as a schema-1 vmreplay left it, for the migration tests.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { MIGRATIONS } from "../analyze/store_migrations.ts";

/**
 * Writes at `path` a schema-1 store holding one run of `old.vmt` (id 1). `alter`, when given,
 * runs on it first (to prepare a migration to fail, say).
 */
export function writeSchemaOneStore(path: string, alter?: (db: DatabaseSync) => void): void {
  const db = new DatabaseSync(path);
  try {
    db.exec(MIGRATIONS[0]!);
    db.exec("PRAGMA user_version = 1");
    alter?.(db);
    db.prepare(
      `INSERT INTO runs (created_at, version, trace_name, trace_path, trace_size, trace_sha256,
        events, machine_json) VALUES ('2026-01-01T00:00:00.000Z', '0.0.1', 'old.vmt', 'old.vmt',
        1, '00', 0, '{"mem":4096,"swap":0,"page":4096,"tlb_entries":64}')`,
    ).run();
  } finally {
    db.close();
  }
}
