"""The frozen REM task harness: datasets with fixed splits, metrics, and the manifest
(augur.frozen) that seals them. Models live outside it (augur.memory.tasks)."""
