"""The behavior oracle: an event encoder with six heads.

Each event's fields are embedded and summed into one vector; a small
transformer reads up to `max_len` events; the state at each position (causal
attention) or the pooled window feeds the heads. Training reads every position
of a chunk at once (a causal encoder's output at position t only saw events up
to t), so one forward pass trains on T windows.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from augur.oracle.calibrate import apply_top_label_map, identity_top_label_map
from augur.oracle.config import OracleConfig
from augur.oracle.features import CANDIDATE_FIELDS, EVENT_FIELDS, NONE_ACTION

HEADS = ("next_action", "routing", "proactive", "delay", "relevance")
CALIBRATED = ("next_action", "routing", "proactive")  # heads with a fitted temperature


class FieldEmbedding(nn.Module):
    """Sum of one embedding per categorical field, plus a learned position. The fields
    share one table (each field offset into its own rows): one lookup, not one per field."""

    def __init__(self, fields: tuple[str, ...], sizes: dict[str, int], d: int,
                 max_len: int = 0) -> None:
        super().__init__()
        widths = [sizes[f] for f in fields]
        self.register_buffer("offsets", torch.tensor([0, *widths[:-1]]).cumsum(0),
                             persistent=False)
        self.table = nn.Embedding(sum(widths), d)
        self.position = nn.Embedding(max_len, d) if max_len else None
        self.norm = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (..., F) int64
        # One fused lookup-and-sum (embedding_bag): gathering (..., F, C) and summing
        # cost three times as much, most of it in the backward pass.
        ids = (x + self.offsets).reshape(-1, x.shape[-1])
        h = F.embedding_bag(ids, self.table.weight, mode="sum").view(*x.shape[:-1], -1)
        if self.position is not None:
            t = x.shape[-2]
            h = h + self.position(torch.arange(t, device=x.device))
        return self.norm(h)


class Block(nn.Module):
    """Pre-norm transformer block."""

    def __init__(self, cfg: OracleConfig) -> None:
        super().__init__()
        self.n_heads = cfg.n_heads
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_ff), nn.GELU(),
                                 nn.Linear(cfg.d_ff, cfg.d_model))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None,
                rows: torch.Tensor | None = None, causal: bool = False) -> torch.Tensor:
        """x (B, T, C) -> (B, T, C); with `rows` (B,), only the state at each row's
        position is computed, (B, 1, C): keys and values still come from every event,
        but the query, projection and MLP (most of the work) run once per window.

        `mask` None: every event is real and each row is the last position, so no mask
        is needed (`causal`: each position attends to itself and earlier ones)."""
        b, t, c = x.shape
        h = self.ln1(x)
        if rows is None:
            q, k, v = self.qkv(h).split(c, dim=2)
        else:
            w, bias = self.qkv.weight, self.qkv.bias
            k, v = F.linear(h, w[c:], bias[c:]).split(c, dim=2)
            if mask is None:  # every row is the last position, which sees every event
                h, x = h[:, -1:], x[:, -1:]
            else:
                pick = torch.arange(b, device=x.device)
                h, x = h[pick, rows].unsqueeze(1), x[pick, rows].unsqueeze(1)
                mask = mask.expand(b, 1, t, t)[pick, :, rows].unsqueeze(2)  # (B, 1, 1, T)
            q = F.linear(h, w[:c], bias[:c])  # (B, 1, C)
        q, k, v = (z.view(b, z.shape[1], self.n_heads, c // self.n_heads).transpose(1, 2)
                   for z in (q, k, v))  # (B, H, T, C/H)
        y = F.scaled_dot_product_attention(  # (B, H, T|1, C/H)
            q, k, v, attn_mask=mask, is_causal=mask is None and causal and rows is None)
        x = x + self.drop(self.proj(y.transpose(1, 2).reshape(b, q.shape[2], c)))
        return x + self.drop(self.mlp(self.ln2(x)))


class OracleModel(nn.Module):
    def __init__(self, cfg: OracleConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        if cfg.backbone is None:
            self.embed = FieldEmbedding(EVENT_FIELDS, cfg.sizes, d, cfg.max_len)
        else:
            from augur.oracle.backbone import TIME_FIELDS, BackboneEmbedding

            self.embed = BackboneEmbedding(
                cfg.backbone, cfg.n_texts, cfg.sizes, d, cfg.max_len,
                tuple(EVENT_FIELDS.index(f) for f in TIME_FIELDS))
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(d)
        self.candidate = FieldEmbedding(CANDIDATE_FIELDS, cfg.sizes, cfg.d_candidate)
        self.heads = nn.ModuleDict({
            "next_action": nn.Linear(d, cfg.n_actions),
            "routing": nn.Linear(d, cfg.n_lanes),
            "proactive": nn.Linear(d, 1),
            "delay": nn.Linear(d, 1),
            "relevance": nn.Linear(d, cfg.d_candidate),  # query against candidate vectors
        })
        self.candidate_bias = nn.Linear(cfg.d_candidate, 1)
        # One temperature per classification head, fitted after training (calibrate.py).
        self.register_buffer("temperature", torch.ones(len(CALIBRATED)))
        # The same for windows of a person the model never trained on (features.ANON_ACTOR):
        # fitted on people held out of training, who need a warmer softmax than the
        # training people's later days.
        self.register_buffer("stranger_temperature", torch.ones(len(CALIBRATED)))
        # After the temperature, the next action's top-1 confidence goes through a
        # monotone map (calibrate.fit_top_label_map): [0] for known people, fitted on
        # validation, [1] for strangers, fitted with stranger_temperature. Identity maps
        # until training fits them.
        self.register_buffer("top_label", torch.stack([identity_top_label_map()] * 2))
        # Intervene at or above this calibrated probability; fitted for F1 on validation.
        self.register_buffer("proactive_threshold", torch.tensor(0.5))
        self.register_buffer("lane_weights", torch.ones(cfg.n_lanes))
        # log P(next action | the event's key, and with transition_order 2 the key of the
        # event before it), counted on the training data (transition.py): the heads learn
        # what the event sequence adds to it. Zeros (no prior) until training fills it in.
        self.n_keys = cfg.sizes.get("action", 0) + cfg.sizes.get("type", 0)
        rows = self.n_keys * (self.n_keys + 1 if cfg.transition_order == 2 else 1)
        self.register_buffer("transition", torch.zeros(rows, cfg.n_actions))
        # The keys' median delay, as a softplus input: the delay head starts from it.
        self.register_buffer("delay_prior", torch.zeros(self.n_keys))

    def transition_keys(self, events: torch.Tensor) -> torch.Tensor:
        """(..., F) event ids -> (...) keys: the action id, or past the action ids, the
        type id for events that are not the person's actions."""
        action = events[..., EVENT_FIELDS.index("action")]
        kind = events[..., EVENT_FIELDS.index("type")] + self.cfg.sizes["action"]
        return torch.where(action == NONE_ACTION, kind, action)

    def prior_rows(self, keys: torch.Tensor) -> torch.Tensor:
        """(B, T) keys of windows' events -> (B, T) rows of `transition`. Order 2 pairs each
        key with the previous event's, in a block of rows per previous key; a window's first
        event has its own block (the last, "no event before")."""
        if self.cfg.transition_order == 1:
            return keys
        start = torch.full_like(keys[..., :1], self.n_keys)
        return torch.cat([start, keys[..., :-1]], -1) * self.n_keys + keys

    def encode(self, events: torch.Tensor, valid: torch.Tensor,
               at: torch.Tensor | None = None) -> torch.Tensor:
        """events (B, T, F) ids, valid (B, T) bool -> states (B, T, C), one per position;
        with `at` (B,), the state at those positions only, (B, C)."""
        b, t, _ = events.shape
        causal = self.cfg.attention == "causal"
        if at is not None and bool(valid.all()) and bool((at == t - 1).all()):
            # Prediction on full windows, each read at its last event (a single window
            # always is): no mask to build, and SDPA's causal kernel skips the masked
            # half. Same numbers as the mask below (tests compare them).
            mask = None
        else:
            allowed = valid[:, None, None, :]  # (B, 1, 1, T): attend to real events only
            if causal:
                allowed = allowed & torch.ones(t, t, dtype=torch.bool,
                                               device=events.device).tril()
            eye = torch.eye(t, dtype=torch.bool, device=events.device)
            mask = allowed | eye  # padding rows see themselves, so no row is empty
        x = self.embed(events)  # (B, T, C)
        # Last-token pooling needs only the asked-for states out of the last block.
        shortcut = at is not None and self.cfg.pooling == "last"
        for i, block in enumerate(self.blocks):
            last = shortcut and i == len(self.blocks) - 1
            x = block(x, mask, rows=at if last else None, causal=causal)
        x = self.ln_f(x)
        if shortcut:
            return x[:, 0]  # (B, C)
        if self.cfg.pooling == "mean":  # causal prefix mean over the real events
            w = valid.unsqueeze(-1).to(x.dtype)  # (B, T, 1)
            x = (x * w).cumsum(1) / w.cumsum(1).clamp(min=1.0)
        if at is not None:
            x = x[torch.arange(x.shape[0], device=x.device), at]
        return x

    def forward(self, batch: dict[str, torch.Tensor], targets: dict | None = None):
        """Outputs for every position, or only at batch["at"] (B,) when given (prediction:
        candidates are then (B, K, C)); with targets, also the summed loss."""
        h = self.encode(batch["events"], batch["valid"], batch.get("at"))  # (B, [T,] C)
        cand = self.candidate(batch["candidates"])  # (B, T, K, Dc) or (B, K, Dc)
        query = self.heads["relevance"](h)  # (B, T, Dc) or (B, Dc)
        scores = (cand * query.unsqueeze(-2)).sum(-1) + self.candidate_bias(cand).squeeze(-1)
        scores = scores.masked_fill(~batch["candidate_valid"], float("-inf"))  # (B, [T,] K)
        keys = self.transition_keys(batch["events"])  # (B, T)
        rows = self.prior_rows(keys)
        if batch.get("at") is not None:  # the prior rows of the asked-for events only
            pick = torch.arange(keys.shape[0], device=keys.device)
            keys, rows = keys[pick, batch["at"]], rows[pick, batch["at"]]
        out = {
            "next_action": self.heads["next_action"](h) + self.transition[rows],  # logits
            "routing": self.heads["routing"](h),  # (B, T, 5) logits
            "proactive": self.heads["proactive"](h).squeeze(-1),  # (B, T) logit
            "delay": F.softplus(self.heads["delay"](h).squeeze(-1)
                                + self.delay_prior[keys]),  # (B, T) minutes
            "relevance": scores,
        }
        if targets is None:
            return out, None
        return out, self.loss(out, targets)

    def loss(self, out: dict, y: dict) -> torch.Tensor:
        """Sum of per-head losses; a head's missing labels (-100 / mask 0) are skipped."""
        terms = []
        on = y["loss_mask"]  # (B, T) which positions train
        labels = y["next_action"].masked_fill(~on, -100)
        if (labels != -100).any():
            terms.append(_next_action_loss(out["next_action"], labels, y.get("sim_next"),
                                           y.get("sim_weight", 0.0)))
        labels = y["routing"].masked_fill(~on, -100)
        if (labels != -100).any():
            terms.append(F.cross_entropy(out["routing"].flatten(0, 1), labels.flatten(),
                                         weight=self.lane_weights, ignore_index=-100))
        m = on & y["proactive_mask"]
        if m.any():
            terms.append(F.binary_cross_entropy_with_logits(out["proactive"][m],
                                                            y["proactive"][m]))
        m = on & y["delay_mask"]
        if m.any():  # L1 in log-minutes: the harness's delay metric, robust to long gaps
            terms.append((torch.log1p(out["delay"][m]) - torch.log1p(y["delay"][m])).abs().mean())
        labels = y["relevance"].masked_fill(~on, -100)
        if (labels != -100).any():
            rows = labels != -100
            terms.append(F.cross_entropy(out["relevance"][rows], labels[rows]))
        return torch.stack(terms).sum()

    def calibrated(self, out: dict, stranger: torch.Tensor | None = None,
                   top_label: bool = True) -> dict:
        """Probabilities with the fitted temperatures applied, then (unless `top_label` is
        False, as while the maps are fitted) the next action's top-label map; `stranger`
        (B,) bool marks the windows of people the model never trained on, which get
        theirs."""
        t = self.temperature
        if stranger is not None:  # per window: (B, 1) for the softmaxes, (B,) for proactive
            per = torch.where(stranger[:, None], self.stranger_temperature, t)  # (B, 3)
            t = (per[:, 0:1], per[:, 1:2], per[:, 2])
        # The routing loss weighted lanes by w; its softmax then estimates w * p(lane), so
        # dividing w back out (logit adjustment) gives p(lane) again: rare lanes still got
        # their gradient in training, and the argmax and calibration follow the true prior.
        routing = out["routing"] - self.lane_weights.log()
        action = F.softmax(out["next_action"] / t[0], -1)
        if top_label:
            action = self._top_label(action, stranger)
        return {
            "next_action": action,
            "routing": F.softmax(routing / t[1], -1),
            "proactive": torch.sigmoid(out["proactive"] / t[2]),
            "delay": out["delay"],
            "relevance": out["relevance"],
        }

    def _top_label(self, probs: torch.Tensor, stranger: torch.Tensor | None) -> torch.Tensor:
        rows = probs.reshape(-1, probs.shape[-1])  # (B, A), or (B, T, A) flattened
        # One map per call where the batch is all known or all strangers (a single window
        # always is): prediction is a few milliseconds, and each map costs about 0.1.
        if stranger is None or not stranger.any():
            rows = apply_top_label_map(rows, self.top_label[0])
        elif stranger.all():
            rows = apply_top_label_map(rows, self.top_label[1])
        else:
            per_row = stranger.repeat_interleave(len(rows) // len(stranger))
            rows = torch.where(per_row[:, None], apply_top_label_map(rows, self.top_label[1]),
                               apply_top_label_map(rows, self.top_label[0]))
        return rows.reshape(probs.shape)


def _next_action_loss(logits: torch.Tensor, labels: torch.Tensor, sim: torch.Tensor | None,
                      sim_weight: float) -> torch.Tensor:
    """Cross-entropy against the label, or where the data records the simulator's own
    distribution, against sim_weight * that distribution + (1 - sim_weight) * the label:
    the distribution a label was drawn from carries the same signal without its noise."""
    if sim is None or sim_weight <= 0:  # labels only: the same kernel, the same bits as ever
        return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100)
    rows = labels != -100
    logp = F.log_softmax(logits[rows], -1)  # (R, A)
    hard = -logp.gather(1, labels[rows].unsqueeze(1)).squeeze(1)
    target = sim[rows]
    has = target.sum(-1) > 0
    soft = -(target * logp).sum(-1)
    return torch.where(has, (1 - sim_weight) * hard + sim_weight * soft, hard).mean()
