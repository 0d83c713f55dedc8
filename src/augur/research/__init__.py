"""The research loop (issue 6): trials of `Experiment`s, each trained under a fixed
wall-clock budget, scored by the frozen harness, appended to results.tsv; see program.md."""
