// Plain-JavaScript IndexedDB baselines (no library), in the same browser run as pyqueue.
//
// Rows have pyqueue's shape (pyqueue/browser/schema.py): the task's JSON record in `data`
// beside sparse index fields, in a database with pyqueue's stores and indexes, including the
// compound `ready` index [-priority, seq] that a claim walks. So the browser does the same
// index upkeep for both; what differs is everything pyqueue adds on top.
//   window.benchJs.putPerTx(n)                 one put per readwrite transaction, awaited in turn
//   window.benchJs.putWithSeq(n)               the same, numbering the row as pyqueue's enqueue does
//   window.benchJs.queueLoop(n, concurrency)   claim (tx 1) -> no-op -> complete (tx 2), per task
//   window.benchJs.depthRun(level, n)          the same loop with `level` tasks waiting (after depthOpen)
// Each answers {ms: [...]} or {seconds, tasks, per_s}.

const TASKS = "tasks";
const META = "meta";
const PLAIN_INDEXES = ["ready", "due", "lease", "seq", "status_seq", "status_type", "status_finished"];
const LEASE_MS = 30000;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

async function freshDb(name) {
  await request(indexedDB.deleteDatabase(name));
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    const db = open.result;
    const tasks = db.createObjectStore(TASKS, { keyPath: "id" });
    for (const index of PLAIN_INDEXES) tasks.createIndex(index, index);
    tasks.createIndex("ukey", "ukey", { unique: true });
    db.createObjectStore(META);
  };
  return request(open);
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

async function putPerTx(n) {
  const db = await freshDb("bench-js-put");
  const ms = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const tx = db.transaction([TASKS], "readwrite");
      tx.objectStore(TASKS).put(row(newRecord(i, i + 1, Date.now())));
      await done(tx);
      ms.push(performance.now() - t0);
    }
  } finally {
    db.close();
  }
  return { ms };
}

// What pyqueue's enqueue asks of IndexedDB, in plain JS: in one readwrite transaction over both
// stores, read the enqueue counter and the highest seq, then put the row and the new counter.
// Not one of the baselines: it separates the cost of numbering tasks from Python's own.
async function putWithSeq(n) {
  const db = await freshDb("bench-js-put-seq");
  const ms = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const tx = db.transaction([TASKS, META], "readwrite");
      const tasks = tx.objectStore(TASKS);
      const meta = tx.objectStore(META);
      const counter = meta.get("seq");
      const top = tasks.index("seq").openKeyCursor(null, "prev");
      top.onsuccess = () => {
        const seq = Math.max(counter.result || 0, top.result ? top.result.key : 0) + 1;
        tasks.put(row(newRecord(i, seq, Date.now())));
        meta.put(seq, "seq");
      };
      await done(tx);
      ms.push(performance.now() - t0);
    }
  } finally {
    db.close();
  }
  return { ms };
}

// Claim: the first row of the `ready` index (highest priority, then oldest), marked
// processing with a lease, in one readwrite transaction.
async function claimOne(db, owner) {
  const tx = db.transaction([TASKS], "readwrite");
  let claimed = null;
  const cursorRequest = tx.objectStore(TASKS).index("ready").openCursor();
  cursorRequest.onsuccess = () => {
    const cursor = cursorRequest.result;
    if (!cursor) return;
    const now = Date.now();
    const rec = JSON.parse(cursor.value.data);
    rec.status = "processing";
    rec.attempts += 1;
    rec.started_at = now;
    rec.lease_owner = owner;
    rec.lease_until = now + LEASE_MS;
    rec.progress = null;
    cursor.update(row(rec));
    claimed = rec;
  };
  await done(tx);
  return claimed;
}

// Complete: re-read the row and finish it only if this owner still holds it, in a second transaction.
async function completeOne(db, rec, owner, result) {
  const tx = db.transaction([TASKS], "readwrite");
  const store = tx.objectStore(TASKS);
  let lost = false;
  const getRequest = store.get(rec.id);
  getRequest.onsuccess = () => {
    const current = getRequest.result && JSON.parse(getRequest.result.data);
    if (!current || current.status !== "processing" || current.lease_owner !== owner) {
      lost = true;
      return;
    }
    current.status = "completed";
    current.finished_at = Date.now();
    current.lease_owner = null;
    current.lease_until = null;
    current.result = result;
    store.put(row(current));
  };
  await done(tx);
  return !lost;
}

async function noop(_payload) {
  return null;
}

async function queueLoop(n, concurrency = 1) {
  const db = await freshDb("bench-js-loop");
  try {
    const seed = db.transaction([TASKS], "readwrite");
    const now = Date.now();
    for (let i = 0; i < n; i++) seed.objectStore(TASKS).put(row(newRecord(i, i + 1, now)));
    await done(seed);

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

// The queue loop at a given depth: one database kept between calls, topped up to `level`
// waiting rows, then `n` tasks claimed and completed one after another (ms per task).
const depth = { db: null, seq: 0, waiting: 0 };

async function depthOpen() {
  depth.db = await freshDb("bench-js-depth");
  depth.seq = 0;
  depth.waiting = 0;
}

async function depthRun(level, n) {
  const now = Date.now();
  while (depth.waiting < level + n) {
    const k = Math.min(10000, level + n - depth.waiting);
    const tx = depth.db.transaction([TASKS], "readwrite");
    const store = tx.objectStore(TASKS);
    for (let i = 0; i < k; i++) {
      depth.seq += 1;
      store.put(row(newRecord(depth.seq, depth.seq, now)));
    }
    await done(tx);
    depth.waiting += k;
  }
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
  depth.db.close();
  await request(indexedDB.deleteDatabase("bench-js-depth"));
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

window.benchJs = { putPerTx, putWithSeq, queueLoop, depthOpen, depthRun, depthClose, freshDb, macrotaskMicros };
