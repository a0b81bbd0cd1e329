// The checkpoint thread's entry (see checkpoint-thread.ts). Plain JavaScript: it needs no
// TypeScript loader, and loads in a few milliseconds.
import { parentPort, workerData } from "node:worker_threads";
import SQLite from "better-sqlite3";

const db = new SQLite(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
// A checkpoint syncs the log before it copies frames into the database, and the database
// after: on this connection, as on the writer's, at the FULL level.
db.pragma("synchronous = FULL");

const timer = setInterval(() => {
  try {
    // PASSIVE: copies what it can without waiting for, or blocking, the writer or readers.
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // A busy or failing checkpoint is tried again next time; the writer's own
    // autocheckpoint stays as the backstop.
  }
}, workerData.intervalMs);

parentPort.on("message", (message) => {
  if (message !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
