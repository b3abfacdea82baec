// Loads Pyodide and pyqueue, then runs wiring_tasks.main(), which calls pyqueue.browser.start().
// The tests drive this page only through globalThis.pyqueue (pyqueue.testing.page.PyqueuePage).
import { loadPyodide } from "/static/vendor/pyodide/pyodide.mjs";

const APP_DIR = "/home/pyodide/app";

async function bytes(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`GET ${url} -> HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

const pyodide = await loadPyodide({ indexURL: "/static/vendor/pyodide/" });
pyodide.unpackArchive(await bytes("/static/pyqueue.zip"), "zip", { extractDir: APP_DIR });
pyodide.FS.writeFile(`${APP_DIR}/wiring_tasks.py`, await bytes("/tests/e2e/wiring_tasks.py"));
await pyodide.runPythonAsync(`
import sys
sys.path.insert(0, ${JSON.stringify(APP_DIR)})
import wiring_tasks
await wiring_tasks.main()
`);
