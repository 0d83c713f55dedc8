"""Temperature scaling: one temperature per classification head, fitted on
validation data by minimising NLL after training (Guo et al., 2017)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, binary: bool = False) -> float:
    """The T > 0 that minimises NLL of softmax(logits / T) (or sigmoid for binary)."""
    if len(labels) == 0:
        return 1.0
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=100, line_search_fn="strong_wolfe")

    def nll() -> torch.Tensor:
        opt.zero_grad()
        z = logits / log_t.exp()
        loss = (F.binary_cross_entropy_with_logits(z, labels.float()) if binary
                else F.cross_entropy(z, labels))
        loss.backward()
        return loss

    opt.step(nll)
    return float(log_t.detach().exp().clamp(0.05, 20.0))
