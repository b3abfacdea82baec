"""Sample notes for the "Add sample notes" button: they overlap and disagree on purpose, so every task has work."""

from __future__ import annotations

SAMPLE_NOTES = [
    "Coffee helps my focus in the morning. A short walk clears my head before work.",
    "Coffee does not help my focus in the morning. Sleep matters more than coffee for focus.",
    "Sleep comes easier after an evening walk. Screens before bed make sleep worse.",
    "Morning coffee helps my focus at work! Tea is calmer than coffee in the afternoon.",
    "Writing notes every day improves my memory. Reviewing notes weekly keeps ideas alive.",
    "Reviewing notes weekly keeps ideas alive. Old notes about sleep still feel useful.",
]

SAMPLE_GOALS = ["Understand what helps my focus", "Build a steady sleep routine"]
