// Watches the page's start, and gives a way out when Python cannot run it.
//
// - A runtime that fails to load (a wrong path makes PyScript hang without an error, so there is a deadline),
//   a boot that raises, or Pyodide's fatal error: the page says so in #fatal, with two ways out that need no
//   Python: download what IndexedDB still holds (raw rows, as JSON), or clear this site's queue data and reload.
// - The clear is done by the next load, before Python starts: the page sets a flag and reloads, and this script
//   deletes the databases first thing. IndexedDB runs an open after a delete issued before it for the same
//   name, so Python then opens fresh databases (and this tab's old connections are gone with the old page).
// - The worker runner (the app's default; "?runner=page" runs the tasks on the page) boots a Pyodide of its own:
//   it is created here, so it loads while the page's Pyodide does, and Python adopts it (web/runner_choice.py).
// Plain DOM only (textContent, no markup from data): the CSP forbids inline script and style.

const params = new URLSearchParams(location.search);
const LOAD_DEADLINE_MS = Math.min(Math.max(Number(params.get("boot_deadline_ms")) || 60000, 1000), 600000);
const DB_NAME = (() => {
  const name = params.get("db") || "pyqueue";
  return name.length > 100 ? "pyqueue" : name; // as web/settings.py reads it
})();
const DATABASES = [DB_NAME, `${DB_NAME}-memory`];
const CLEAR_KEY = "pyqueue-clear-on-load";
const byId = (id) => document.getElementById(id);
const ready = () => document.body.dataset.ready === "true";

// ------------------------------------------------------------------------------------------- the worker, early

if (params.get("runner") !== "page" && params.get("autostart") !== "0") {  // as web/settings.py reads them
  const pyodide = new URL("./static/vendor/pyodide/", location.href).href;
  globalThis.pyqueueEarlyWorker = new Worker(
    `./static/pyqueue-worker.mjs?pyodide=${encodeURIComponent(pyodide)}`,
    { type: "module", name: `pyqueue:${DB_NAME}` },
  );
}

// ------------------------------------------------------------------------------------------- clear, then boot

const clearing = sessionStorage.getItem(CLEAR_KEY);
if (clearing) {
  sessionStorage.removeItem(CLEAR_KEY);
  for (const name of JSON.parse(clearing)) indexedDB.deleteDatabase(name); // before Python's open, so first
  document.body.dataset.cleared = "true";
}

// ------------------------------------------------------------------------------------------- what failed

// *runtime*: the runtime itself did not load (a file missing or a hang), which serving the page again fixes.
function showFatal(reason, runtime = false) {
  document.body.dataset.bootFailed = "true";
  const status = byId("boot-status");
  if (status && !ready()) {
    status.textContent = runtime
      ? `The Python runtime failed to load: ${reason}. Run "bash scripts/serve.sh" and reload.`
      : "The page could not start: see below.";
    status.classList.add("failed");
  }
  const box = byId("fatal");
  if (!box) return;
  byId("fatal-reason").textContent = reason;
  box.dataset.kind = runtime ? "runtime" : "start";
  box.hidden = false;
}

function showPyodideFatal(message) {
  showFatal(`Pyodide stopped with a fatal error: ${gist(message)}`);
  byId("fatal").dataset.kind = "fatal"; // stays shown even if the page had started: nothing runs any more
}

// A Python traceback ends with the line that names the error: that line says the most in little room.
function gist(text) {
  const lines = String(text).split("\n").map((line) => line.trim()).filter(Boolean);
  const last = lines.length > 1 && lines[0].startsWith("Traceback") ? lines[lines.length - 1] : lines.join(" ");
  return last.length > 300 ? `${last.slice(0, 299)}…` : last;
}

function failBoot(reason, runtime = false) {
  if (!ready()) showFatal(reason, runtime);
}

window.addEventListener("error", (event) => {
  if (event.target && event.target !== window && event.target.src) {
    failBoot(`could not load ${event.target.src}`, true);
    return;
  }
  const message = String(event.message || event.error || "");
  if (/fatal error/i.test(message)) showPyodideFatal(message);
  else if (message.startsWith("Uncaught PythonError")) failBoot(gist(message));
}, true);

window.addEventListener("unhandledrejection", (event) => {
  const reason = String(event.reason && (event.reason.message || event.reason));
  if (/fatal error/i.test(reason)) showPyodideFatal(reason);
  else failBoot(`the start failed: ${gist(reason)}`);
});

const deadline = setTimeout(() => failBoot(`no answer after ${LOAD_DEADLINE_MS / 1000} s`, true), LOAD_DEADLINE_MS);

new MutationObserver((records, observer) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      // PyScript shows a Python error it could not hand to anyone as a .py-error block.
      if (node.nodeType === 1 && node.classList.contains("py-error")) failBoot(gist(node.textContent));
    }
  }
  if (ready()) {  // it started after all: what looked fatal on the way was not
    clearTimeout(deadline);
    byId("boot-status")?.remove();
    const box = byId("fatal");
    if (box && box.dataset.kind !== "fatal") box.hidden = true;
    observer.disconnect();
  }
}).observe(document.body, { childList: true, attributes: true, attributeFilter: ["data-ready"] });

// ------------------------------------------------------------------------------------------- the ways out

async function existing() {
  const known = new Set((await indexedDB.databases()).map((d) => d.name));
  return DATABASES.filter((name) => known.has(name));
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function readDatabase(name) {
  const db = await request(indexedDB.open(name)); // no version: never upgrades, never blocks
  const out = {};
  try {
    for (const store of db.objectStoreNames) {
      try {
        out[store] = await request(db.transaction(store, "readonly").objectStore(store).getAll());
      } catch (error) {
        out[store] = { unreadable: String(error) };
      }
    }
  } finally {
    db.close();
  }
  return out;
}

async function downloadReadable(event) {
  event.preventDefault();
  const dump = { format: "pyqueue-raw-rows", exported_at: Date.now(), databases: {} };
  for (const name of await existing()) {
    try {
      dump.databases[name] = await readDatabase(name);
    } catch (error) {
      dump.databases[name] = { unreadable: String(error) };
    }
  }
  const text = JSON.stringify(dump, (_key, value) => (typeof value === "bigint" ? String(value) : value));
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = `pyqueue-readable-${new Date().toISOString().replaceAll(":", "-").split(".")[0]}.json`;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function askClear(asking) {
  byId("fatal-clear").hidden = asking;
  byId("fatal-clear-confirm").hidden = !asking;
  (asking ? byId("fatal-clear-no") : byId("fatal-clear")).focus();
}

function clearAndReload() {
  sessionStorage.setItem(CLEAR_KEY, JSON.stringify(DATABASES));
  location.reload();
}

byId("fatal-download")?.addEventListener("click", (event) => downloadReadable(event));
byId("fatal-clear")?.addEventListener("click", () => askClear(true));
byId("fatal-clear-no")?.addEventListener("click", () => askClear(false));
byId("fatal-clear-yes")?.addEventListener("click", clearAndReload);
