// What Chromium's IndexedDB key generator does, checked in the browser the benchmarks run in.
//
// The enqueue prototype (benches/NOTES-perf.md) numbers tasks with an autoIncrement store; it
// relies on these facts of the spec ("key generator", w3c IndexedDB 3.0), each observed here:
//   window.keygenFacts()            one connection, then a second one: every fact as {expected, seen, holds}
//   window.keygenReset(name)        a new database `name` with an empty autoIncrement store
//   window.keygenAdds(name, n)      n adds, one readwrite transaction each, on database `name`
//                                   (what a second tab runs at the same time: bench.py)

import { done, request } from "./idb_promises.js";

const STORE = "seq";
const INLINE = "inline"; // keyed by its key generator, with the key in the row (keyPath "seq")

async function open(name, fresh) {
  if (fresh) await request(indexedDB.deleteDatabase(name));
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => {
    req.result.createObjectStore(STORE, { autoIncrement: true });
    const inline = req.result.createObjectStore(INLINE, { keyPath: "seq", autoIncrement: true });
    inline.createIndex("ready", ["pri", "seq"]);
  };
  return request(req);
}

// `write(store)` in one readwrite transaction; answers the keys of its requests that succeeded.
async function inTx(db, write) {
  const tx = db.transaction([STORE], "readwrite");
  const keys = [];
  for (const req of write(tx.objectStore(STORE))) req.onsuccess = () => keys.push(req.result);
  await done(tx);
  return keys;
}

const add = (db) => inTx(db, (s) => [s.add(0)]).then((keys) => keys[0]);

async function keygenReset(name) {
  (await open(name, true)).close();
}

async function keygenAdds(name, n) {
  const db = await open(name, false);
  try {
    const keys = [];
    for (let i = 0; i < n; i++) keys.push(await add(db));
    return keys;
  } finally {
    db.close();
  }
}

async function keygenFacts() {
  const name = "bench-keygen-facts";
  const db = await open(name, true);
  const facts = {};
  const fact = (what, expected, seen) => {
    facts[what] = { expected, seen, holds: JSON.stringify(expected) === JSON.stringify(seen) };
  };
  try {
    fact("add answers 1, 2, 3 on a new store", [1, 2, 3], [await add(db), await add(db), await add(db)]);
    await inTx(db, (s) => [s.delete(IDBKeyRange.lowerBound(0))]);
    fact("after deleting every row, the next add", 4, await add(db));
    await inTx(db, (s) => [s.clear()]);
    fact("after clear(), the next add (clear does not reset it)", 5, await add(db));
    const aborted = db.transaction([STORE], "readwrite");
    const lost = aborted.objectStore(STORE).add(0);
    const abortedKey = await request(lost);
    aborted.abort();
    await done(aborted).catch(() => null);
    fact("an aborted transaction's number is handed out again (its writes never happened)", [6, 6], [
      abortedKey,
      await add(db),
    ]);
    await inTx(db, (s) => [s.put(0, 100)]);
    fact("after a put with explicit key 100, the next add", 101, await add(db));
    await inTx(db, (s) => [s.put(0, 50)]);
    fact("after a put with a lower explicit key (50), the next add", 102, await add(db));
    await inTx(db, (s) => [s.put(0, 200.5), s.delete(200.5)]);
    fact("after a put with key 200.5, deleted in the same transaction, the next add", 201, await add(db));
    const block = await inTx(db, (s) => [s.add(0), s.put(0, 1000)]);
    fact("a block reserved with add then put(first + n - 1): the add, then the next add", [202, 1001], [
      block[0],
      await add(db),
    ]);
    const tx = db.transaction([INLINE], "readwrite");
    const inline = tx.objectStore(INLINE);
    inline.put({ pri: 0 });
    inline.put({ pri: -1 });
    const ready = inline.index("ready").getAll(); // rows in index order; a row missing a key path is not in it
    await done(tx);
    fact(
      "a generated in-line key is in the row before its indexes are computed (index on [pri, seq])",
      [
        [-1, 2],
        [0, 1],
      ],
      ready.result.map((r) => [r.pri, r.seq]),
    );
    const other = await open(name, false);
    try {
      const both = await Promise.all([add(db), add(other), add(db), add(other)]);
      fact("two connections share one generator (numbers in transaction order)", [1002, 1003, 1004, 1005], both);
    } finally {
      other.close();
    }
  } finally {
    db.close();
  }
  const again = await open(name, true);
  try {
    fact("a deleted and recreated store starts again at 1", 1, await add(again));
  } finally {
    again.close();
    await request(indexedDB.deleteDatabase(name));
  }
  return facts;
}

window.keygenFacts = keygenFacts;
window.keygenAdds = keygenAdds;
window.keygenReset = keygenReset;
