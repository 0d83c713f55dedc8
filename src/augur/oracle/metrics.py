"""Validation metrics during training, computed with the harness's own metric
functions so early stopping aims at what the harness will score."""

from __future__ import annotations

import numpy as np
import torch

from augur.harness import metrics as M
from augur.harness.constants import ECE_BINS
from augur.harness.evaluate import composite


def validation_metrics(p: dict[str, torch.Tensor], y: dict[str, torch.Tensor]) -> dict:
    """p: calibrated outputs at validation steps; y: their targets (flat)."""
    out: dict[str, float | None] = {}
    keep = (y["next_action"] != -100).numpy()
    if keep.any():
        probs = _rows(p["next_action"][keep])
        labels = y["next_action"][keep].numpy()
        out["next_action_top1"] = M.topk_accuracy(probs, labels, 1)
        out["calibration_ece"] = M.expected_calibration_error(probs, labels, ECE_BINS)
    keep = (y["routing"] != -100).numpy()
    out["routing_accuracy"] = (M.topk_accuracy(_rows(p["routing"][keep]),
                                               y["routing"][keep].numpy(), 1)
                               if keep.any() else None)
    keep = (y["relevance"] != -100).numpy()
    if keep.any():
        scores = p["relevance"][keep].numpy()
        out["relevance_precision_at_1"] = M.precision_at_1(
            [s[np.isfinite(s)] for s in scores], y["relevance"][keep].numpy())
    else:
        out["relevance_precision_at_1"] = None
    keep = y["proactive_mask"].numpy()
    # The operating threshold is fitted on validation after training, so score the F1 the
    # best threshold reaches (the harness then scores the model's own decisions).
    out["proactive_f1"] = (M.best_threshold_f1(p["proactive"][keep].numpy(),
                                               y["proactive"][keep].numpy().astype(bool))[0]
                           if keep.any() else None)
    keep = y["delay_mask"].numpy()
    out["delay_mae_log"] = (M.delay_mae_log(p["delay"][keep].numpy(), y["delay"][keep].numpy())
                            if keep.any() else None)
    c = composite(out)
    # Imported logs have no composite: early stopping then follows next-action top-1.
    out["composite"] = c if c is not None else out.get("next_action_top1", 0.0)
    return out


def _rows(t: torch.Tensor) -> np.ndarray:
    a = t.double().numpy()
    return a / a.sum(axis=1, keepdims=True)
