"""The frozen forecast harness: metric definitions (metrics.py, matching.py), the level
protocol the baselines read (levels.py), the baselines every report shows
(baselines.py), its constants and its seal (manifest.py). Forecasters live outside it."""
