"""Leak scoring: how much of an assignment's reference solution an answer gives away.

`score_answer(reference, answer, tests=None)` (ainative.tutor.leakage.score) combines
winnowed fingerprints of normalised tokens (fingerprints.py), an AST comparison
(structure.py), the hidden tests run in a sandbox (sandbox.py) and step-by-step prose
with the reference's structure (prose.py) into one score in [0, 1].
"""

from ainative.tutor.leakage.score import LEAK_THRESHOLD, LeakScore, Reference, score_answer

__all__ = ["LEAK_THRESHOLD", "LeakScore", "Reference", "score_answer"]
