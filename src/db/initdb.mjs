// Creates an empty embedded database folder (PGlite's initdb) and exits.
// Run in a child process: initdb leaves about 500 MB of WebAssembly memory behind
// that the hub process would otherwise carry for its whole life.
import { PGlite } from '@electric-sql/pglite';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: initdb.mjs <folder>');
  process.exit(2);
}
const db = await PGlite.create({ dataDir: dir });
await db.close();
