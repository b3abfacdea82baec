// Plain-JavaScript IndexedDB baselines (no library), in the same browser run as pyqueue.
//
// Rows have pyqueue's shape (pyqueue/browser/schema.py): the task's JSON record in `data`
// beside sparse index fields, in a database with pyqueue's stores and indexes, including the
// compound `ready` index [-priority, seq] that a claim walks. So the browser does the same
// index upkeep for both; what differs is everything pyqueue adds on top.
//   window.benchJs.putPerTx(n)                 one put per readwrite transaction, awaited in turn
//   window.benchJs.putWithSeq(n)               the same, numbering the row as pyqueue's enqueue does
//   window.benchJs.putAutoSeq(n, keep)         the same, numbered by a key generator (prototype, see NOTES-perf.md)
//   window.benchJs.putInlineSeq(n)             the same, the tasks store itself keyed by a key generator (prototype)
//   window.benchJs.putBatch(n)                 n puts in one readwrite transaction
//   window.benchJs.putOne()                    one put in its own transaction, on putOneOpen()'s database (ms)
//   window.benchJs.queueLoop(n, concurrency)   claim (tx 1) -> no-op -> complete (tx 2), per task
//   window.benchJs.batchLoop(n, batch)         claim `batch` (tx 1) -> no-ops -> complete them all (tx 2)
//     (both take a last argument `pyqueueIndexes`: rows with pyqueue's 12 indexes instead of 8)
//   window.benchJs.seeded(name, n)             a database with n pending rows (for the loops from Python)
//   window.benchJs.keyGeneratorFacts()         what Chromium's key generator does (the spec facts the prototype uses)
//   window.benchJs.depthRun(level, n)          the same loop with `level` tasks waiting (after depthOpen(levels))
//   window.benchJs.headReads(name, reps)       the single reads (and a write) of a claim, on pyqueue's database
// Each answers {ms: [...]} or {seconds, tasks, per_s}.

import { done, request } from "./idb_promises.js";

const TASKS = "tasks";
const META = "meta";
const SEQ = "seq"; // the prototype's key-generator store (autoIncrement, out-of-line keys)
const PLAIN_INDEXES = ["ready", "due", "lease", "seq", "status_seq", "status_type", "status_finished"];
const LEASE_MS = 30000;

// The indexes pyqueue's rows carry beyond the baseline's 8 (pyqueue/browser/schema.py: 12 in all;
// its `id` index and `seq` key stand for the baseline's `id` key and `seq` index).
const PYQUEUE_EXTRA_INDEXES = {
  ready_type: ["type", "ready_pri", "seq"],
  finished: ["finished_at", "seq"],
  parked: ["parked", "seq"],
};

// `pyqueueIndexes`: the baseline's rows also carry pyqueue's extra indexes (and the fields they
// read), so the loops over such a database show what IndexedDB's own index work costs pyqueue.
async function freshDb(name, withSeqStore = false, pyqueueIndexes = false) {
  await request(indexedDB.deleteDatabase(name));
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    const db = open.result;
    const tasks = db.createObjectStore(TASKS, { keyPath: "id" });
    for (const index of PLAIN_INDEXES) tasks.createIndex(index, index);
    tasks.createIndex("ukey", "ukey", { unique: true });
    if (pyqueueIndexes) {
      for (const [index, path] of Object.entries(PYQUEUE_EXTRA_INDEXES)) tasks.createIndex(index, path);
      tasks.createIndex("waits", "waits", { multiEntry: true });
    }
    db.createObjectStore(META);
    if (withSeqStore) db.createObjectStore(SEQ, { autoIncrement: true });
  };
  const db = await request(open);
  db.pyqueueIndexes = pyqueueIndexes;
  return db;
}

function newRecord(i, seq, now) {
  return {
    id: crypto.randomUUID().replaceAll("-", ""),
    type: "bench.noop",
    payload: { i },
    status: "pending",
    priority: 0,
    seq,
    run_at: now,
    attempts: 0,
    max_attempts: 3,
    created_at: now,
    started_at: null,
    finished_at: null,
    lease_owner: null,
    lease_until: null,
    errors: [],
    result: null,
    unique_key: null,
    cancel_requested: false,
    progress: null,
  };
}

function row(rec) {
  const out = {
    id: rec.id,
    data: JSON.stringify(rec),
    seq: rec.seq,
    status_seq: [rec.status, rec.seq],
    status_type: [rec.status, rec.type],
  };
  if (rec.status === "pending") out.ready = [-rec.priority, rec.seq];
  else if (rec.status === "scheduled") out.due = rec.run_at;
  else if (rec.status === "processing") out.lease = rec.lease_until;
  else if (rec.finished_at !== null) out.status_finished = [rec.status, rec.finished_at];
  return out;
}

// The row of `rec` in `db`: with the fields of pyqueue's extra indexes if `db` has them.
function rowIn(db, rec) {
  const out = row(rec);
  if (!db.pyqueueIndexes) return out;
  out.type = rec.type;
  if (rec.status === "pending") out.ready_pri = -rec.priority;
  if (rec.finished_at !== null) out.finished_at = rec.finished_at;
  return out;
}

// n transactions of one write each, awaited in turn, on `db` (closed after): ms per transaction.
// `write(tx, i)` issues the transaction's requests, chaining dependent ones in callbacks.
async function timedWrites(db, n, stores, write) {
  const ms = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const tx = db.transaction(stores, "readwrite");
      write(tx, i);
      await done(tx);
      ms.push(performance.now() - t0);
    }
  } finally {
    db.close();
  }
  return { ms };
}

async function putPerTx(n) {
  return timedWrites(await freshDb("bench-js-put"), n, [TASKS], (tx, i) => {
    tx.objectStore(TASKS).put(row(newRecord(i, i + 1, Date.now())));
  });
}

// What pyqueue's enqueue asks of IndexedDB, in plain JS: in one readwrite transaction over both
// stores, read the enqueue counter and the highest seq, then put the row and the new counter.
// Not one of the baselines: it separates the cost of numbering tasks from Python's own.
async function putWithSeq(n) {
  return timedWrites(await freshDb("bench-js-put-seq"), n, [TASKS, META], (tx, i) => {
    const tasks = tx.objectStore(TASKS);
    const meta = tx.objectStore(META);
    const counter = meta.get("seq");
    const top = tasks.index("seq").openKeyCursor(null, "prev");
    top.onsuccess = () => {
      const seq = Math.max(counter.result || 0, top.result ? top.result.key : 0) + 1;
      tasks.put(row(newRecord(i, seq, Date.now())));
      meta.put(seq, "seq");
    };
  });
}

// The enqueue the prototype proposes: `add` on an autoIncrement store answers the next number in
// the same request that takes it, so no read comes before the write. The row the add made is
// deleted in the same transaction unless `keep` (deleting never lowers the key generator).
async function putAutoSeq(n, keep = false) {
  return timedWrites(await freshDb("bench-js-put-auto-seq", true), n, [TASKS, SEQ], (tx, i) => {
    const seqs = tx.objectStore(SEQ);
    const numbered = seqs.add(0);
    numbered.onsuccess = () => {
      tx.objectStore(TASKS).put(row(newRecord(i, numbered.result, Date.now())));
      if (!keep) seqs.delete(numbered.result);
    };
  });
}

// The other layout the prototype measures: the tasks store keyed by `seq` with a key generator,
// so one put numbers the row and the browser puts the number into the row before indexing it
// (array key paths such as [ready_pri, seq] then see it). The task id gets a unique index.
const INLINE_INDEXES = {
  ready: ["ready_pri", "seq"],
  due: "due",
  lease: "lease",
  status_seq: ["status", "seq"],
  status_type: ["status", "type"],
  status_finished: ["status", "finished_at"],
};

async function freshInlineDb(name) {
  await request(indexedDB.deleteDatabase(name));
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    const tasks = open.result.createObjectStore(TASKS, { keyPath: "seq", autoIncrement: true });
    for (const [index, path] of Object.entries(INLINE_INDEXES)) tasks.createIndex(index, path);
    tasks.createIndex("id", "id", { unique: true });
    tasks.createIndex("ukey", "ukey", { unique: true });
  };
  return request(open);
}

// A row of the in-line layout: no seq (the put adds it), the fields of the array key paths instead.
function inlineRow(rec) {
  const out = row(rec);
  for (const key of ["seq", "status_seq", "status_type", "status_finished", "ready"]) delete out[key];
  out.status = rec.status;
  out.type = rec.type;
  if (rec.status === "pending") out.ready_pri = -rec.priority;
  if (rec.finished_at !== null) out.finished_at = rec.finished_at;
  return out;
}

async function putInlineSeq(n) {
  return timedWrites(await freshInlineDb("bench-js-put-inline-seq"), n, [TASKS], (tx, i) => {
    const put = tx.objectStore(TASKS).put(inlineRow(newRecord(i, 0, Date.now())));
    put.onsuccess = () => {
      if (put.result !== i + 1) throw new Error(`putInlineSeq: row ${i} numbered ${put.result}`);
    };
  });
}

// One put per call on a database kept open between calls: for bench_cases.ab_enqueue, which
// alternates it with single enqueues from Python one by one.
const single = { db: null, i: 0 };

async function putOneOpen() {
  single.db = await freshDb("bench-js-put-one");
  single.i = 0;
}

async function putOne() {
  const t0 = performance.now();
  single.i += 1;
  const tx = single.db.transaction([TASKS], "readwrite");
  tx.objectStore(TASKS).put(row(newRecord(single.i, single.i, Date.now())));
  await done(tx);
  return performance.now() - t0;
}

function putOneClose() {
  single.db.close();
}

// 10,000 puts (the size of enqueue_many) in one readwrite transaction: the floor for a bulk enqueue.
async function putBatch(n) {
  const db = await freshDb("bench-js-put-batch");
  try {
    const t0 = performance.now();
    const tx = db.transaction([TASKS], "readwrite");
    const store = tx.objectStore(TASKS);
    const now = Date.now();
    for (let i = 0; i < n; i++) store.put(row(newRecord(i, i + 1, now)));
    await done(tx);
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, tasks: n, per_s: n / seconds };
  } finally {
    db.close();
  }
}

// The claimed version of a pending record: processing, leased to `owner`.
function claimed(rec, owner, now) {
  rec.status = "processing";
  rec.attempts += 1;
  rec.started_at = now;
  rec.lease_owner = owner;
  rec.lease_until = now + LEASE_MS;
  rec.progress = null;
  return rec;
}

// Complete the stored row `stored` if this owner still holds it; answers whether it did.
function finish(store, stored, owner, result, now) {
  const current = stored && JSON.parse(stored.data);
  if (!current || current.status !== "processing" || current.lease_owner !== owner) return false;
  current.status = "completed";
  current.finished_at = now;
  current.lease_owner = null;
  current.lease_until = null;
  current.result = result;
  store.put(rowIn(store.transaction.db, current));
  return true;
}

// Claim: the first row of the `ready` index (highest priority, then oldest), marked
// processing with a lease, in one readwrite transaction.
async function claimOne(db, owner) {
  const tx = db.transaction([TASKS], "readwrite");
  let claimedRec = null;
  const cursorRequest = tx.objectStore(TASKS).index("ready").openCursor();
  cursorRequest.onsuccess = () => {
    const cursor = cursorRequest.result;
    if (!cursor) return;
    claimedRec = claimed(JSON.parse(cursor.value.data), owner, Date.now());
    cursor.update(rowIn(db, claimedRec));
  };
  await done(tx);
  return claimedRec;
}

// Complete: re-read the row and finish it only if this owner still holds it, in a second transaction.
async function completeOne(db, rec, owner, result) {
  const tx = db.transaction([TASKS], "readwrite");
  const store = tx.objectStore(TASKS);
  let lost = false;
  const getRequest = store.get(rec.id);
  getRequest.onsuccess = () => {
    lost = !finish(store, getRequest.result, owner, result, Date.now());
  };
  await done(tx);
  return !lost;
}

async function noop(_payload) {
  return null;
}

// A batch claim: the first `limit` rows of the `ready` index in one getAll, each marked processing.
async function claimBatch(db, owner, limit) {
  const tx = db.transaction([TASKS], "readwrite");
  const store = tx.objectStore(TASKS);
  const out = [];
  const rows = store.index("ready").getAll(null, limit);
  rows.onsuccess = () => {
    const now = Date.now();
    for (const r of rows.result) {
      const rec = claimed(JSON.parse(r.data), owner, now);
      store.put(rowIn(db, rec));
      out.push(rec);
    }
  };
  await done(tx);
  return out;
}

// A batch completion: every row re-read and finished if this owner still holds it, in one transaction.
async function completeBatch(db, recs, owner, results) {
  const tx = db.transaction([TASKS], "readwrite");
  const store = tx.objectStore(TASKS);
  let finished = 0;
  const now = Date.now();
  recs.forEach((rec, i) => {
    const get = store.get(rec.id);
    get.onsuccess = () => {
      if (finish(store, get.result, owner, results[i], now)) finished += 1;
    };
  });
  await done(tx);
  return finished;
}

// A fresh database `name` with `n` pending tasks (for the loops here and bench_cases' Python floor).
async function seeded(name, n, pyqueueIndexes = false) {
  const db = await freshDb(name, false, pyqueueIndexes);
  const seed = db.transaction([TASKS], "readwrite");
  const now = Date.now();
  for (let i = 0; i < n; i++) seed.objectStore(TASKS).put(rowIn(db, newRecord(i, i + 1, now)));
  await done(seed);
  return db;
}

// The batch loop that pyqueue's c4 batch runner is compared with: claim `batch` tasks in one
// transaction, run them (no-ops), record them all in a second one; one worker.
async function batchLoop(n, batch = 64, pyqueueIndexes = false) {
  const db = await seeded("bench-js-batch-loop", n, pyqueueIndexes);
  try {
    let completed = 0;
    const t0 = performance.now();
    for (;;) {
      const recs = await claimBatch(db, "js-batch", batch);
      if (!recs.length) break;
      const results = [];
      for (const rec of recs) results.push(await noop(rec.payload));
      completed += await completeBatch(db, recs, "js-batch", results);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (completed !== n) throw new Error(`batchLoop completed ${completed} of ${n} tasks`);
    return { seconds, tasks: completed, per_s: completed / seconds };
  } finally {
    db.close();
  }
}

async function queueLoop(n, concurrency = 1, pyqueueIndexes = false) {
  const db = await seeded("bench-js-loop", n, pyqueueIndexes);
  try {
    let completed = 0;
    const worker = async (owner) => {
      for (;;) {
        const rec = await claimOne(db, owner);
        if (!rec) return;
        const result = await noop(rec.payload);
        if (await completeOne(db, rec, owner, result)) completed += 1;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(`js-worker-${w}`)));
    const seconds = (performance.now() - t0) / 1000;
    if (completed !== n) throw new Error(`queueLoop completed ${completed} of ${n} tasks`);
    return { seconds, tasks: completed, per_s: completed / seconds };
  } finally {
    db.close();
  }
}

// The queue loop at several depths: one database per level, all open at once (an origin's
// databases share one backing store, so the levels are measured in the same state of it), each
// topped up to `level` waiting rows, then `n` tasks claimed and completed one after another.
const depths = new Map(); // level -> { db, seq, waiting }

const depthName = (level) => `bench-js-depth-${level}`;

async function depthOpen(levels) {
  for (const level of levels) depths.set(level, { db: await freshDb(depthName(level)), seq: 0, waiting: 0 });
}

// Top the database of `level` up to `target` waiting rows.
async function depthFill(level, target) {
  const depth = depths.get(level);
  const now = Date.now();
  while (depth.waiting < target) {
    const k = Math.min(10000, target - depth.waiting);
    const tx = depth.db.transaction([TASKS], "readwrite");
    const store = tx.objectStore(TASKS);
    for (let i = 0; i < k; i++) {
      depth.seq += 1;
      store.put(row(newRecord(depth.seq, depth.seq, now)));
    }
    await done(tx);
    depth.waiting += k;
  }
}

async function depthRun(level, n) {
  await depthFill(level, level + n);
  const depth = depths.get(level);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const rec = await claimOne(depth.db, "js-depth");
    if (!rec) throw new Error("depthRun: ran out of tasks");
    await completeOne(depth.db, rec, "js-depth", await noop(rec.payload));
  }
  depth.waiting -= n;
  return { ms_per_task: (performance.now() - t0) / n };
}

async function depthClose() {
  const levels = [...depths.keys()];
  for (const depth of depths.values()) depth.db.close();
  depths.clear();
  for (const level of levels) await request(indexedDB.deleteDatabase(depthName(level)));
}

// The single reads a claim and a completion make, each in its own readonly transaction, on
// pyqueue's database `name` (benches/probes.py): the head of the `ready` index as pyqueue's claim
// reads it (getAll of one) and as the JS loop does (a cursor), the `due` index's first key, a row
// by its id (the `id` index) and by its key; and a row written back as it was (its own readwrite
// transaction). Answers mean ms per operation, an empty transaction's too.
async function headReads(name, reps) {
  const db = await request(indexedDB.open(name));
  try {
    const sample = db.transaction([TASKS], "readonly").objectStore(TASKS).getAll(null, 5000);
    const rows = await request(sample);
    const pick = (i) => rows[(i * 7919) % rows.length];
    const reads = {
      ready_getall_1: (store) => store.index("ready").getAll(null, 1),
      ready_cursor: (store) => store.index("ready").openCursor(),
      due_first_key: (store) => store.index("due").openKeyCursor(IDBKeyRange.lowerBound(-Infinity)),
      by_id: (store, rec) => store.index("id").get(rec.id),
      by_key: (store, rec) => store.get(rec.seq),
      rewrite: (store, rec) => store.put(rec),
      empty_tx: null,
    };
    const ms = Object.fromEntries(Object.keys(reads).map((k) => [k, 0]));
    for (let i = 0; i < reps; i++) {
      for (const [k, read] of Object.entries(reads)) {
        const t0 = performance.now();
        const tx = db.transaction([TASKS], k === "rewrite" ? "readwrite" : "readonly");
        if (read) read(tx.objectStore(TASKS), pick(i));
        await done(tx);
        ms[k] += performance.now() - t0;
      }
    }
    return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v / reps]));
  } finally {
    db.close();
  }
}

// One macrotask after another through a MessageChannel (what Pyodide's event loop uses for
// call_soon), for comparison with one turn of Python's event loop. Answers microseconds per turn.
function macrotaskMicros(n) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    let i = 0;
    const t0 = performance.now();
    channel.port1.onmessage = () => {
      if (++i >= n) {
        channel.port1.close();
        resolve(((performance.now() - t0) * 1000) / n);
      } else {
        channel.port2.postMessage(0);
      }
    };
    channel.port2.postMessage(0);
  });
}

window.benchJs = {
  putPerTx,
  putWithSeq,
  putAutoSeq,
  putInlineSeq,
  putBatch,
  putOneOpen,
  putOne,
  putOneClose,
  queueLoop,
  batchLoop,
  depthOpen,
  depthFill,
  depthRun,
  depthClose,
  freshDb,
  seeded,
  headReads,
  macrotaskMicros,
};
