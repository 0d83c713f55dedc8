"""Constants of the frozen forecast harness: its datasets (generator seeds and sizes) and
its metric settings. Changing any of them is an amendment: bump FORECAST_HARNESS_VERSION,
add a CHANGELOG.md entry "forecast-harness vN" saying why, then `augur forecast seal`."""

FORECAST_HARNESS_VERSION = "1"

# A level's probabilities must sum to 1 within this: stricter than the oracle harness's
# 1e-4 (a float32 softmax over a few candidates sums to 1 within ~1e-7), so a forecaster
# that forgets to renormalise after clipping is caught.
PROB_SUM_ATOL = 1e-6

# A level's stored p_true (the generator's truth, rounded when written to a case file)
# must sum to 1 within this, as the case format requires; `levels.true_probs` then
# renormalises it so the ceiling passes PROB_SUM_ATOL like any forecast.
P_TRUE_ATOL = 1e-3

# Equal-width bins of the top-label ECE (augur.harness.metrics.expected_calibration_error).
ECE_BINS = 15

# Match coverage: the seed's semantic match is word-set Jaccard strictly above this.
JACCARD_MATCH = 0.6

# Base rate: pseudo-count of the global rate mixed into each kind's rate, so a kind seen
# a few times is pulled towards the global rate instead of to 0 or 1.
BASE_RATE_SMOOTHING = 1.0

# The frozen datasets (data.py): each source's cases generated once by these seeds and
# sizes, then split by the cases' own `split` field (a salted hash of the case id for
# world, of the person for persona: no person is in two splits). The seeds are the
# harness's own, so `augur forecast generate --seed 0` never writes the frozen sets.
# Sizes keep generation under a minute on two cores (world about 3 s, persona about
# 25 s: every 20 cases simulate one person for 10 days).
SOURCES = ("world", "persona")
SPLITS = ("train", "val", "test")
WORLD_SEED = 20261210
WORLD_CASES = 5000  # about 4000 / 500 / 500 cases, 4 levels each
WORLD_DEPTH = 4
# Persona splits go by person, so a few people decide their sizes: this seed was taken
# (20261211 put 2 of 60 people in val) for 64 / 6 / 10 people in train / val / test,
# chosen on those counts alone, before any forecaster was scored.
PERSONA_SEED = 20261212
PERSONA_CASES = 1600  # 80 people; chains end early where the actual action was unlikely
PERSONA_DEPTH = 4
