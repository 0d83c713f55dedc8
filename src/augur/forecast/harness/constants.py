"""Constants of the frozen forecast harness: metric settings now, splits and seeds when
the datasets land. Changing any of them is an amendment: bump FORECAST_HARNESS_VERSION,
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
