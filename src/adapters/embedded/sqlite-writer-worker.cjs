// The batch writer's thread (see batch-writer.ts): the only connection that writes the service's
// SQLite file, so that inserts never run on the event loop that serves MQTT. Each batch it is sent
// is one transaction; batches are committed in the order they were cut.
// Plain CommonJS so that it loads the same under tsx, vitest and plain node.
'use strict'
const fs = require('node:fs')
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.sqlitePath)

/** [0] = the newest committed batch, [1] = -1 after a failed commit (see batch-writer.ts) */
const shared = new Int32Array(workerData.shared)
const db = new Database(workerData.file)
// journal_mode = WAL is a property of the file (database.ts set it); the rest is per connection.
db.pragma('synchronous = NORMAL')
db.pragma('busy_timeout = 5000')
// Ingest touches index pages all over (one per subject): keep them in memory.
db.pragma('cache_size = -32768')
// SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold, so the batch's
// PUBACKs would wait for copying the WAL into the database and fsyncing it (seconds on a busy
// disk). Checkpoints run here instead, after the batch is reported committed.
db.pragma('wal_autocheckpoint = 0')
const WAL_FILE = `${workerData.file}-wal`
const CHECKPOINT_BYTES = 16 * 1024 * 1024

/** Copies the WAL into the database once it has grown past CHECKPOINT_BYTES (PASSIVE: readers are not waited for). */
function checkpointIfLong() {
  let size
  try {
    size = fs.statSync(WAL_FILE).size
  } catch {
    return
  }
  if (size >= CHECKPOINT_BYTES) db.pragma('wal_checkpoint(PASSIVE)')
}

const statements = new Map()
const begin = db.prepare('BEGIN IMMEDIATE')
const commit = db.prepare('COMMIT')
const rollback = db.prepare('ROLLBACK')

function commitBatch(tables) {
  begin.run()
  try {
    for (const [name, rows] of tables) {
      const { stmt, json } = statements.get(name)
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]
        for (let k = 0; k < json.length; k++) {
          const c = json[k]
          row[c] = row[c] === undefined ? null : JSON.stringify(row[c])
        }
        stmt.run(row)
      }
    }
    commit.run()
  } catch (err) {
    if (db.inTransaction) rollback.run()
    throw err
  }
}

parentPort.on('message', (m) => {
  switch (m.t) {
    case 'prepare':
      statements.set(m.name, { stmt: db.prepare(m.sql), json: m.json })
      return
    case 'batch': {
      // After a failure nothing more is written: a later batch must not commit what an earlier,
      // rolled-back one was ordered before.
      if (Atomics.load(shared, 1) === -1) return
      const started = performance.now()
      try {
        commitBatch(m.tables)
      } catch (err) {
        Atomics.store(shared, 1, -1)
        Atomics.notify(shared, 0)
        parentPort.postMessage({ t: 'failed', seq: m.seq, message: String(err && err.message), code: err && err.code })
        return
      }
      Atomics.store(shared, 0, m.seq)
      Atomics.notify(shared, 0)
      parentPort.postMessage({ t: 'committed', seq: m.seq, ms: performance.now() - started, rows: m.rows })
      checkpointIfLong()
      return
    }
    case 'close':
      db.close()
      parentPort.close()
      return
  }
})
