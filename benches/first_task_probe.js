// Init script for the first_task pages (added before any page script runs): notes when the
// page reaches each step of its start, in ms since navigation start, without touching the app.
//   window.benchMarks = {pyReady, "idbOpen:<name>", "firstReadwrite:<name>", ready}
//     pyReady                PyScript's `py:ready` event: the interpreter is up, the page's Python is about to run
//     idbOpen:<name>         the first indexedDB.open() of database <name> (the app has imported pyqueue and
//                            opens its store; PyScript opens a database of its own earlier)
//     firstReadwrite:<name>  the first readwrite transaction on <name> (the runner's first recover or claim)
//     ready                  <body data-ready="true"> (the app has started and shown its panel)
//     workerStart            the page created a Worker (the app's worker runner, its default)
//     workerReady            that worker said "ready" (its Pyodide, the app's code and its runner are up)
(() => {
  const marks = {};
  window.benchMarks = marks;
  const mark = (name) => {
    if (marks[name] === undefined) marks[name] = performance.now();
  };
  document.addEventListener("py:ready", () => mark("pyReady"), true);

  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function (name, ...rest) {
    mark(`idbOpen:${name}`);
    return open.call(this, name, ...rest);
  };
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, mode, ...rest) {
    if (mode === "readwrite") mark(`firstReadwrite:${this.name}`);
    return transaction.call(this, stores, mode, ...rest);
  };

  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(...args) {
      super(...args);
      mark("workerStart");
      this.addEventListener("message", (event) => {
        if (typeof event.data === "string" && /"kind": ?"ready"/.test(event.data)) mark("workerReady");
      });
    }
  };

  new MutationObserver(() => {
    if (document.body && document.body.dataset.ready === "true") mark("ready");
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-ready"] });
})();
