// The page's own click handler, in plain JS: it records when each click ran, so a test can tell
// whether the page answered while a handler computed in the worker.
const clicks = document.getElementById("clicks");
window.clickTimes = [];
document.getElementById("ping").addEventListener("click", () => {
  window.clickTimes.push(performance.now());
  clicks.textContent = String(window.clickTimes.length);
});
