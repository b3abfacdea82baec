// Counts the live PyProxies of this page with standard JavaScript only (no Pyodide internals).
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
(() => {
  const Native = globalThis.FinalizationRegistry;
  if (!Native) return;
  const counts = { registered: 0, unregistered: 0, finalized: 0 };

  class CountingFinalizationRegistry extends Native {
    constructor(cleanup) {
      super((held) => {
        counts.finalized += 1;
        cleanup(held);
      });
    }

    register(target, held, token) {
      counts.registered += 1;
      return super.register(target, held, token);
    }

    unregister(token) {
      const removed = super.unregister(token);
      if (removed) counts.unregistered += 1;
      return removed;
    }
  }

  globalThis.FinalizationRegistry = CountingFinalizationRegistry;
  window.benchProxies = () => ({
    ...counts,
    live: counts.registered - counts.unregistered - counts.finalized,
  });
})();
