"""Constants of the frozen REM task harness: the world the tasks are posed over, split
sizes and seeds. Changing any of them is an amendment: bump REM_TASKS_VERSION, add a
CHANGELOG.md entry "rem-tasks vN" saying why, then `augur memory tasks seal`."""

REM_TASKS_VERSION = "1"

# The memory every task-1 request is asked of: persona 42's first 90 days
# (augur.memory.world.world_memory(WorldConfig(seed=42, days=90))). Relative dates
# ("last week") resolve against its newest record, as the executor does.
WORLD_SEED = 42
WORLD_DAYS = 90

# Task 1 (natural language -> REM query). Train and val come from the training
# templates and phrasings; test from templates and phrasings training never uses.
QUERY_SEED = 20261207
QUERY_TRAIN = 1000
QUERY_VAL = 150
QUERY_TEST = 300
