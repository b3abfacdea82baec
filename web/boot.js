// Says on the page when the Python runtime fails to load, instead of leaving a silent spinner.
// (A wrong interpreter path makes PyScript hang without an error, so a deadline is needed.)
const LOAD_DEADLINE_MS = Number(new URLSearchParams(location.search).get("boot_deadline_ms")) || 60000;
const status = () => document.getElementById("boot-status");

function fail(reason) {
  if (document.body.dataset.ready === "true") return;
  document.body.dataset.bootFailed = "true";
  const node = status();
  if (node) {
    node.textContent = `The Python runtime failed to load: ${reason}. Run "bash scripts/serve.sh" and reload.`;
    node.classList.add("failed");
  }
}

window.addEventListener("error", (event) => {
  if (event.target && event.target !== window && event.target.src) fail(`could not load ${event.target.src}`);
}, true);

const deadline = setTimeout(() => fail(`no answer after ${LOAD_DEADLINE_MS / 1000} s`), LOAD_DEADLINE_MS);

new MutationObserver((_records, observer) => {
  if (document.body.dataset.ready === "true") {
    clearTimeout(deadline);
    status()?.remove();
    observer.disconnect();
  }
}).observe(document.documentElement, { attributes: true, subtree: true, attributeFilter: ["data-ready"] });
