"""Constants of the frozen harness: eval sets, splits, thresholds, composite weights.

None of these belong to a run or an experiment. Changing any of them is an
amendment: bump HARNESS_VERSION, add a CHANGELOG entry that names the new
version and why, then `augur harness seal` to write the new manifest.
"""

HARNESS_VERSION = "2"

# Synthetic world. The training range of persona 42 is its first TRAIN_DAYS days
# (`augur data synth --days 730 --seed 42`); the temporal hold-out is the
# HOLDOUT_DAYS that follow. Cold start: people never seen in training.
TRAIN_SEED = 42
TRAIN_DAYS = 730
HOLDOUT_DAYS = 30
COLD_START_SEEDS = (1001, 1002, 1003)
COLD_START_DAYS = 30
# Events of history a predictor may see before each scored step (the oracle's window).
CONTEXT_EVENTS = 128

# Imported logs: whole streams (cases or people) go to eval by a seeded hash,
# so no case is split between train and eval and the split never moves.
IMPORT_SPLIT_SEED = 20261122
IMPORT_EVAL_FRACTION = 0.2

# A predictor that reports only a probability intervenes when it reaches this; one that
# reports its own decisions (its operating threshold) is scored on those.
PROACTIVE_THRESHOLD = 0.5
ECE_BINS = 15

# composite = sum(weight * component); calibration enters as (1 - ECE).
# Proactive enters as F1, not precision: precision alone is maximised by
# intervening only on the one surest step, or gamed to 0/0 by never intervening.
COMPOSITE_WEIGHTS = {
    "next_action_top1": 0.30,
    "routing_accuracy": 0.25,
    "relevance_precision_at_1": 0.20,
    "proactive_f1": 0.15,
    "calibration_ece": 0.10,
}

BASELINES = ("uniform", "most_frequent", "markov")
