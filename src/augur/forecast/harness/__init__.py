"""The frozen forecast harness: metric definitions (metrics.py, matching.py), the level
protocol the baselines read (levels.py), the baselines every report shows
(baselines.py), the frozen datasets (data.py), scoring forecasters over them
(evaluate.py), its constants and its seal (manifest.py). Forecasters live outside it
(augur.forecast.registry)."""
