// pyqueue's worker runner: a module worker that loads Pyodide and the app's code from the page's own
// origin, then hands over to Python (pyqueue.browser.worker.entry.boot).
// The page's first message is the boot message (JSON text, see protocol.py); messages that arrive
// while Pyodide loads wait here and are passed on in order. A failure to load is posted as "failed"
// with its reason, so the page reports it instead of waiting.
// A page may create this worker early, before its own Python runs, with "?pyodide=<url>" (same origin): the
// worker then loads Pyodide at once, in parallel with the page, and the boot message finds it loaded.

const APP_DIR = "/home/pyodide/app";
const waiting = [];
let receive = null;

function sameOrigin(url) {
  return url !== null && new URL(url, self.location.href).origin === self.location.origin;
}

async function load(indexURL) {
  const { loadPyodide } = await import(`${indexURL}pyodide.mjs`);
  return loadPyodide({ indexURL });
}

const early = new URL(self.location.href).searchParams.get("pyodide");
// A failure here is the boot's to report (it awaits the same promise), not an unhandled rejection now.
const preloading = sameOrigin(early) ? load(early).then((p) => ({ ok: p }), (error) => ({ error })) : null;

async function pyodideFor(indexURL) {
  if (preloading === null || indexURL !== early) return load(indexURL);
  const { ok, error } = await preloading;
  if (error !== undefined) throw error;
  return ok;
}

function post(text) {
  self.postMessage(String(text));
}

async function bytes(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`GET ${url} -> HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function boot(text) {
  const { config } = JSON.parse(text);
  const pyodide = await pyodideFor(config.pyodide_url);
  for (const wheel of config.packages) await pyodide.loadPackage(wheel, { messageCallback: () => {} });
  for (const archive of config.archives) pyodide.unpackArchive(await bytes(archive), "zip", { extractDir: APP_DIR });
  for (const [url, path] of Object.entries(config.files)) {
    pyodide.FS.mkdirTree(`${APP_DIR}/${path}`.replace(/\/[^/]*$/, ""));
    pyodide.FS.writeFile(`${APP_DIR}/${path}`, await bytes(url));
  }
  pyodide.runPython(`import sys\nif ${JSON.stringify(APP_DIR)} not in sys.path: sys.path.insert(0, ${JSON.stringify(APP_DIR)})`);
  const entry = pyodide.pyimport("pyqueue.browser.worker.entry");
  receive = await entry.boot(text, post);
  for (const message of waiting.splice(0)) receive(message);
}

let booting = false;
self.addEventListener("message", (event) => {
  if (receive !== null) {
    receive(event.data);
  } else if (!booting) {
    booting = true;
    // A Python error in entry.boot was posted by Python already; the page keeps the first reason.
    boot(event.data).catch((err) => post(JSON.stringify({ kind: "failed", reason: String(err && err.message ? err.message : err) })));
  } else {
    waiting.push(event.data);
  }
});
