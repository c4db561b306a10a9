#!/usr/bin/env node
// Reproduction of the loss the db-restart fault scenario found (docs/faults.md, "Findings"): when the
// database connection drops during insertMany({ ordered: false }), the MongoDB driver (6.x) throws a
// MongoBulkWriteError whose writeErrors is [] (bulk/common.js: "a driver related error not a bulk op
// error"); apps/sla/src/storage.ts isDuplicate() answers true for it ([].every(...) is true), so
// insertIgnoringDuplicates() swallows the failure: sla acks case.opened without its outbox events
// (clock-started) or timers ever being written.
//   node tools/scripts/build.mjs && node tools/faults/repro/network-error-taken-for-duplicate.mjs
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..', '..', '..');
const infra = require(join(root, 'dist', 'libs', 'testing', 'src', 'infra.js'));
const { mongo } = require('mongoose');
const { isDuplicate } = require(join(root, 'dist', 'apps', 'sla', 'src', 'storage.js'));
const dataDir = mkdtempSync(join(tmpdir(), 'sladesk-repro-'));
const db = await infra.startFerretdb({ dataDir });
const client = await new mongo.MongoClient(`${db.url}/sladesk_repro_test`, {
  serverSelectionTimeoutMS: 3000,
}).connect();
const col = client.db().collection('x');
let n = 0;
let stop = false;
const results = [];
const writers = Array.from({ length: 8 }, async (_, w) => {
  for (let i = 0; !stop; i++) {
    const id = `w${w}-${i}`;
    try {
      await col.insertMany([{ _id: id, pad: 'x'.repeat(2000) }], { ordered: false });
      results.push({ id, ok: true });
    } catch (e) {
      results.push({
        id,
        ok: false,
        name: e.constructor.name,
        writeErrors: e.writeErrors?.length,
        swallowedBySla: isDuplicate(e),
      });
    }
    n++;
  }
});
await new Promise((r) => setTimeout(r, 300));
await db.kill();
stop = true;
await Promise.all(writers);
const failed = results.filter((r) => !r.ok);
console.log('failed inserts:', failed.length, 'examples:', failed.slice(0, 3));
const swallowed = failed.filter((r) => r.swallowedBySla);
await client.close(true);
// Back up on the same data: were the writes that sla would take for "already there" stored?
const again = await infra.startFerretdb({ dataDir, port: db.port });
const check = await new mongo.MongoClient(`${again.url}/sladesk_repro_test`).connect();
const stored = await check
  .db()
  .collection('x')
  .countDocuments({ _id: { $in: swallowed.map((r) => r.id) } });
console.log(
  `taken for duplicates by sla's isDuplicate(): ${swallowed.length}; of those actually stored: ${stored}`,
);
await check.close();
await again.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(swallowed.length > stored ? 1 : 0);
