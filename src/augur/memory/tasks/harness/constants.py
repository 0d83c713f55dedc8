"""Constants of the frozen REM task harness: the world the tasks are posed over, split
sizes and seeds. Changing any of them is an amendment: bump REM_TASKS_VERSION, add a
CHANGELOG.md entry "rem-tasks vN" saying why, then `augur memory tasks seal`."""

REM_TASKS_VERSION = "4"

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

# Task 2 (edges: a new resource and a candidate -> typed, scored edge). Sources are
# drawn per split from the days below (by the SOURCE's created_at, so every test
# source is newer than every training one), round-robin over kinds; each gets
# EDGE_CANDIDATES candidates from anywhere in the 90 days (see edge_data.py).
EDGE_SEED = 20261208
EDGE_TRAIN_DAYS = (0, 60)  # [first, last) day of the world, counted from its first day
EDGE_VAL_DAYS = (60, 75)
EDGE_TEST_DAYS = (75, 90)
EDGE_TRAIN_SOURCES = 100
EDGE_VAL_SOURCES = 30
EDGE_TEST_SOURCES = 40
EDGE_CANDIDATES = 8  # pairs per source: 800 train, 240 val, 320 test
EDGE_CONTENT_CHARS = 600  # a resource's content as a model sees it is clipped to this
# Graded affinity from the world's truth (the strongest that holds wins):
EDGE_GRADE_DIRECT = 1.0  # a PREREQUISITE or CONTINUATION edge (either direction)
EDGE_GRADE_SEE_ALSO = 0.75  # a SEE_ALSO edge (same project, shared topic, <= 3 days)
EDGE_GRADE_PROJECT_TOPIC = 0.4  # same project and a shared topic, no edge ("none")
EDGE_GRADE_PROJECT = 0.2  # same project only ("none")
EDGE_GRADE_UNRELATED = 0.0  # another project or none ("none")
EDGE_GOLD = 0.5  # a gold edge: affinity >= this
EDGE_THRESHOLD = 0.5  # the operating threshold: a predicted edge is score >= this

# Task 3 (moments: a timestamped transcript -> its moments). Transcripts are cut from
# the world's working days (see moment_data.py); splits by day, as for task 2.
MOMENT_SEED = 20261209
MOMENT_WORLD_SEEDS = (42, 7)  # persona 42 (the memory of tasks 1 and 2), then persona 7
MOMENT_TRAIN_DAYS = (0, 60)
MOMENT_VAL_DAYS = (60, 75)
MOMENT_TEST_DAYS = (75, 90)
MOMENT_MAX_HOURS = 3.0  # a transcript spans one to this many hours (drawn per transcript)
MOMENT_MIN_MINUTES = 3  # a moment shorter than this (after overlaps are resolved) is dropped
MOMENT_MAX_LINES = 12  # lines per segment at most
MOMENT_FEELING_P = 0.6  # chance that a segment voices each of its emotions in a line
MOMENT_TOLERANCE_MIN = 5  # a predicted boundary within this many minutes of a true one is right
