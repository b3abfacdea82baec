// Compiles Python sources to bytecode with the vendored Pyodide, under Node, for static/pyqueue.zip.
//
//   node scripts/compile_pyc.mjs JOBS.json
//
// JOBS.json is {"out_dir": DIR, "sources": {NAME: PATH, ...}}: each source is compiled by the same
// Python that the pages run, into a checked-hash pyc (PEP 552: the importer checks it against the
// source's hash, so a source changed later is compiled again, never run stale), written to DIR/NAME.pyc.
// DIR/cache_tag gets that Python's sys.implementation.cache_tag (the pyc's name in __pycache__).
// Run by scripts/build_zip.py, which says why the zip carries bytecode.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const jobs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const runtime = resolve("static/vendor/pyodide");
const { loadPyodide } = await import(pathToFileURL(join(runtime, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: `${runtime}/` });
const compileOne = pyodide.runPython(`
import py_compile

def compile_one(source, dfile):
    py_compile.compile(source, cfile="/tmp/out.pyc", dfile=dfile, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
compile_one
`);
mkdirSync(jobs.out_dir, { recursive: true });
for (const [name, path] of Object.entries(jobs.sources)) {
  pyodide.FS.writeFile("/tmp/source.py", readFileSync(path));
  compileOne("/tmp/source.py", path);
  writeFileSync(join(jobs.out_dir, `${name}.pyc`), pyodide.FS.readFile("/tmp/out.pyc"));
}
compileOne.destroy();
writeFileSync(join(jobs.out_dir, "cache_tag"), pyodide.runPython("import sys; sys.implementation.cache_tag"));
