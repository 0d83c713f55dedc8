"""Forecasters behind one interface: `name`, and `predict(case)` -> one list of candidate
probabilities per level (each summing to 1), reading only the seed and the path of
actual outcomes before each level.

    embedding.py   MiniLM vectors and a small two-tower scorer, trained with cross-entropy
    llm.py         a small causal LM's log-likelihood of each candidate, zero-shot

Their predict latency per case is measured by the harness's `evaluate` (reported by
`augur bench forecast`), never in a test.
"""
