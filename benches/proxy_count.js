// Counts the live PyProxies of this page with standard JavaScript only (no Pyodide internals),
// and can say what each live one holds (benchProxyCensus, which does use two Pyodide internals).
//
// Pyodide registers every JS-side handle that keeps a Python object alive (create_proxy,
// implicit proxies of Python callables and objects, create_once_callable, promise handlers) in
// one FinalizationRegistry, created when Pyodide starts: the registry's held value is what it
// decrefs when the JS object is garbage-collected. destroy() unregisters the handle at once.
// So at any moment:
//     live = registered - unregistered (destroyed) - finalized (collected by the JS GC)
// is the number of Python objects JS still holds a reference to. This script replaces the
// global FinalizationRegistry with a counting subclass before Pyodide loads; it changes no
// behaviour. A proxy that is unreachable but not yet collected still counts as live (it does
// keep its Python object alive until the GC runs): the driver forces a full GC over CDP
// (HeapProfiler.collectGarbage) before it reads the count it reports.
//   window.benchProxies() -> {registered, unregistered, finalized, live}
//   window.benchProxyCensus(describe) -> [describe(object) for the Python object of each live
//     registration]: Pyodide's held value is {ptr} (the object's address); the census makes a
//     short-lived proxy of it (a new reference, then destroy()) and hands it to *describe*, a
//     Python function, which receives the object itself.
(() => {
  const Native = globalThis.FinalizationRegistry;
  if (!Native) return;
  const counts = { registered: 0, unregistered: 0, finalized: 0 };
  const held = new Map(); // registration id -> Pyodide's held value, while live
  const ids = new WeakMap(); // unregister token -> registration id (weak: tokens are often the proxy)
  let nextId = 0;

  class CountingFinalizationRegistry extends Native {
    constructor(cleanup) {
      super(({ id, value }) => {
        counts.finalized += 1;
        held.delete(id);
        cleanup(value);
      });
    }

    register(target, value, token) {
      counts.registered += 1;
      const id = nextId++;
      held.set(id, value);
      if (token !== undefined) ids.set(token, id);
      return super.register(target, { id, value }, token);
    }

    unregister(token) {
      const removed = super.unregister(token);
      if (removed) {
        counts.unregistered += 1;
        held.delete(ids.get(token));
      }
      return removed;
    }
  }

  globalThis.FinalizationRegistry = CountingFinalizationRegistry;
  window.benchProxies = () => ({
    ...counts,
    live: counts.registered - counts.unregistered - counts.finalized,
  });
  window.benchProxyCensus = (describe) => {
    const module = window.pyodide._module;
    const out = [];
    for (const value of [...held.values()]) {
      const ptr = value && value.ptr;
      if (!ptr) {
        out.push("(no Python object)");
        continue;
      }
      module._Py_IncRef(ptr);
      const proxy = module.pyproxy_new(ptr);
      try {
        out.push(describe(proxy));
      } finally {
        proxy.destroy();
      }
    }
    return out;
  };
})();
