"""The frozen evaluation harness: eval sets, metrics, baselines, ceiling, manifest."""
