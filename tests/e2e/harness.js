// Bare e2e harness (no PyScript): Pyodide + static/pyqueue.zip, driven by Playwright.
//   window.pyRun(code)           -> Promise<string>: str() of the code's last expression (top-level
//                                   await allowed, shared globals); rejects with the Python traceback.
//   window.pyLoadFile(url, path) -> Promise<void>: fetch a file from the server into Pyodide's FS.
//   window.harnessReady = true once usable, or window.harnessError = "<message>" on failure.
import { loadPyodide } from "/static/vendor/pyodide/pyodide.mjs";

const APP_DIR = "/home/pyodide/app";
const status = document.getElementById("status");

async function fetchOk(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`GET ${url} -> HTTP ${response.status}`);
  return response;
}

// str() is taken in Python, before any conversion to JS (which would turn 3.0 into 3).
// A Python error comes back as text, trimmed to the frames of the code that was run.
const SETUP_PY = `
import sys
import traceback
if ${JSON.stringify(APP_DIR)} not in sys.path:
    sys.path.insert(0, ${JSON.stringify(APP_DIR)})
from pyodide.code import eval_code_async
from pyodide.ffi import to_js

async def _harness_run(code, ns):
    try:
        return to_js([True, str(await eval_code_async(code, ns, filename="<pyRun>"))])
    except BaseException as exc:
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != "<pyRun>":
            tb = tb.tb_next
        if tb is None and not isinstance(exc, SyntaxError):
            tb = exc.__traceback__  # the error is not in the code itself: show everything
        text = traceback.format_exception(type(exc), exc, tb)
        return to_js([False, "".join(text)])

_harness_run
`;

async function main() {
  const t0 = performance.now();
  const pyodide = await loadPyodide({ indexURL: "/static/vendor/pyodide/" });
  const zip = await (await fetchOk("/static/pyqueue.zip")).arrayBuffer();
  pyodide.unpackArchive(zip, "zip", { extractDir: APP_DIR });
  const run = pyodide.runPython(SETUP_PY);

  window.pyodide = pyodide;
  window.pyRun = async (code) => {
    const [ok, text] = await run(code, pyodide.globals);
    if (!ok) throw new Error(text);
    return text;
  };
  window.pyLoadFile = async (url, path) => {
    const bytes = new Uint8Array(await (await fetchOk(url)).arrayBuffer());
    const dir = path.substring(0, path.lastIndexOf("/"));
    if (dir) pyodide.FS.mkdirTree(dir);
    pyodide.FS.writeFile(path, bytes);
    pyodide.runPython("import importlib; importlib.invalidate_caches()");  // so a new module imports
  };
  window.harnessLoadMs = Math.round(performance.now() - t0);
  status.textContent = `ready in ${window.harnessLoadMs} ms`;
  window.harnessReady = true;
}

main().catch((err) => {
  window.harnessError = String(err && err.stack ? err.stack : err);
  status.textContent = `harness error: ${window.harnessError}`;
  console.error("harness failed:", window.harnessError);
});
