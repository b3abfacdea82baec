"""The app's retention line: the policy in force, what this tab's last check removed, and a link's offer.

The library applies the policy on its timer (``pyqueue.browser.start(retention=...)``)
and the dashboard component previews it. What the app adds is its rule for
settings from a link (:mod:`web.settings`): a link may ask for shorter
keep-times, which are shown here and only applied when the person clicks
"Use these keep-times", so opening a link deletes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from pyqueue import QueueError, RetentionPolicy, RetentionReport
from pyqueue.browser import BrowserQueue
from pyqueue.browser.dashboard.formatting import format_age

from .dom import by_id, clock, on


def kept_text(policy: RetentionPolicy) -> str:
    return (
        f"completed tasks are kept {format_age(policy.completed_ms)}, failed {format_age(policy.failed_ms)}, "
        f"cancelled {format_age(policy.cancelled_ms)}"
    )


class RetentionOffer:
    def __init__(
        self,
        bq: BrowserQueue,
        every_ms: float,
        offer: RetentionPolicy | None,
        on_accept: Callable[[RetentionPolicy], None],
    ) -> None:
        self.bq = bq
        self.every_ms = every_ms
        self.offer = offer
        self.on_accept = on_accept

    def wire(self) -> None:
        self._show_policy()
        self.bq.on_retention(self._checked)
        if self.offer is not None:
            by_id("retention-offer").textContent = (
                f"This page's link asks for shorter keep-times: {kept_text(self.offer)}. "
                "Nothing is deleted sooner unless you accept."
            )
            by_id("retention-offer-box").hidden = False
            on("retention-accept", "click", lambda _e: self.accept_offer())

    def _show_policy(self) -> None:
        policy = self.bq.retention
        text = "No retention policy." if policy is None else kept_text(policy)
        every = format_age(self.every_ms)
        by_id("retention-policy").textContent = f"{text[0].upper()}{text[1:]}; checked every {every}."

    def accept_offer(self) -> None:
        """Apply the link's shorter keep-times from the next check on: the person asked for it."""
        if self.offer is None:
            return
        self.bq.retention, self.offer = self.offer, None
        by_id("retention-offer-box").hidden = True
        self._show_policy()
        self.on_accept(self.bq.retention)

    def _checked(self, outcome: RetentionReport | QueueError) -> None:
        node = by_id("retention-last")
        if isinstance(outcome, QueueError):
            node.textContent = f"Retention failed: {outcome}"
            node.dataset.kind = "error"
            return
        node.textContent = f"Last applied {clock(self.bq.queue.clock())}: removed {outcome.count} task(s)."
        node.dataset.kind = "ok"
