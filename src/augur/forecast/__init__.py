"""Forecasting: candidate-based outcome forecasts per depth, scored by a frozen harness."""
