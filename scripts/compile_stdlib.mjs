// Adds bytecode to Pyodide's standard library zip, compiled by that same Pyodide under Node.
//
//   node scripts/compile_stdlib.mjs RUNTIME_DIR OUT_ZIP
//
// RUNTIME_DIR is the npm package's folder (its python_stdlib.zip holds sources only). OUT_ZIP gets
// every entry of that zip unchanged and, beside each module `m.py`, `m.pyc`: where zipimport looks
// first. The pycs are unchecked-hash ones (PEP 552): the zip is vendored and never edited, so the
// importer need not read and hash each source again. Run by scripts/setup.sh, which says why.
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [runtimeArg, outZip] = process.argv.slice(2);
const runtime = resolve(runtimeArg);
const { loadPyodide } = await import(pathToFileURL(join(runtime, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: `${runtime}/` });
const count = pyodide.runPython(`
import importlib._bootstrap_external as external
import importlib.util
import sys
import zipfile

def compile_stdlib(source_zip, out_zip):
    compiled = 0
    with zipfile.ZipFile(source_zip) as src, zipfile.ZipFile(out_zip, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            out.writestr(info, data)
            if not info.filename.endswith(".py"):
                continue
            code = compile(data, f"{source_zip}/{info.filename}", "exec", dont_inherit=True)
            pyc = external._code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
            pyc_info = zipfile.ZipInfo(info.filename[:-3] + ".pyc", date_time=info.date_time)
            out.writestr(pyc_info, bytes(pyc), zipfile.ZIP_DEFLATED)
            compiled += 1
    return compiled

stdlib = next(p for p in sys.path if p.endswith(".zip"))
compile_stdlib(stdlib, "/tmp/python_stdlib.zip")
`);
writeFileSync(outZip, pyodide.FS.readFile("/tmp/python_stdlib.zip"));
console.log(`setup: compiled ${count} standard library modules with the vendored Pyodide`);
