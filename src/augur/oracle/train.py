"""Training the oracle: curriculum chunks, AdamW with warm-up and cosine decay,
early stopping on the validation composite, temperature scaling, atomic save.

Same seed and same data give the same checkpoint on a CPU: all randomness
comes from one torch generator and one numpy generator seeded here.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from augur.errors import AugurError
from augur.events.io import group_streams, read_jsonl
from augur.events.schema import Event
from augur.events.vocab import ACTIONS
from augur.harness.metrics import best_threshold_f1
from augur.oracle.calibrate import choose_top_label_map, fit_temperature
from augur.oracle.checkpoint import check_out, save_checkpoint
from augur.oracle.config import OracleConfig, TrainConfig
from augur.oracle.data import StreamArrays, chunks, collate, stream_arrays
from augur.oracle.features import Featurizer, Vocab, is_self
from augur.oracle.metrics import validation_metrics
from augur.oracle.model import OracleModel
from augur.oracle.tracking import make_tracker, run
from augur.oracle.transition import delay_prior, transition_table, use_transition_prior


def split(events: list[Event], val_fraction: float) -> tuple[list[list[Event]], list[list[Event]]]:
    """Train and validation streams. Simulated people: the last share of each stream
    validates (later days, as in the harness's temporal hold-out). An imported log: whole
    streams validate, by a seeded hash, and the streams the harness holds out are never
    trained on."""
    from augur.harness.evalsets import is_eval_stream

    streams = group_streams(events)
    if all(e.sim is not None for e in events[:100]):
        cuts = {k: int(len(v) * (1 - val_fraction)) for k, v in streams.items()}
        return ([v[:cuts[k]] for k, v in streams.items() if cuts[k] > 0],
                [v[cuts[k]:] for k, v in streams.items() if cuts[k] < len(v)])
    streams = {k: v for k, v in streams.items() if not is_eval_stream(k)}
    val = {k for k in streams
           if int(hashlib.sha256(f"val:{k}".encode()).hexdigest(), 16) % 1000
           < val_fraction * 1000}
    train = [v for k, v in streams.items() if k not in val]
    if not train or not val:
        raise ValueError(f"{len(streams)} streams are too few to hold some out for validation")
    return train, [streams[k] for k in sorted(val)]


def _check_labelled(data: Path, train_streams: list[list[Event]],
                    val_streams: list[list[Event]]) -> None:
    """Fail in seconds on data that cannot train: no step saying what came next."""
    counts = [sum(1 for s in streams for e in s if e.labels and e.labels.next_action)
              for streams in (train_streams, val_streams)]
    if not all(counts):
        raise AugurError(f"{data}: {counts[0]} labelled steps to train on and {counts[1]} to "
                         "validate on; training needs both: events whose labels.next_action "
                         "names what the person did next, in more than a few events "
                         "(`augur data synth` writes them, `augur data import` derives them "
                         "from a log)")


def data_vocab(events: list[Event]) -> Vocab:
    """Synthetic data predicts the 50 actions; an imported log its own activities."""
    if all(e.action in ACTIONS for e in events if e.action):
        return Vocab(ACTIONS)
    names = {e.action for e in events if e.action}
    names |= {e.labels.next_action for e in events if e.labels and e.labels.next_action}
    return Vocab(tuple(sorted(names)))


def train(data: Path, out: Path, tc: TrainConfig, mc: OracleConfig | None = None,
          progress: bool = True, on_step: Callable[[dict], None] | None = None,
          strangers: Path | None = None) -> dict[str, Any]:
    """Train on a JSON Lines file and write a checkpoint to `out`; returns the summary.
    `on_step`, if given, gets {step, total, epoch, loss, best_val} after every step.
    `strangers`, a JSON Lines file of people kept out of training, fits the temperatures
    for people the model never met (it needs identity dropout, which tells them apart)."""
    if strangers is not None and not tc.identity_dropout:
        raise ValueError("strangers: a model tells a new person from a known one only when "
                         "trained with identity dropout; set identity_dropout > 0 "
                         "(--identity-dropout) or leave out the strangers file")
    with _deterministic():
        return _train(data, out, tc, mc, progress, on_step, strangers)


@contextlib.contextmanager
def _deterministic():
    """Same seed and data must give the same checkpoint: some CPU kernels (embedding
    backward's parallel accumulation) otherwise sum in a varying order."""
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)


def _train(data: Path, out: Path, tc: TrainConfig, mc: OracleConfig | None,
           progress: bool, on_step: Callable[[dict], None] | None,
           strangers: Path | None) -> dict[str, Any]:
    started = time.monotonic()  # a time budget covers reading and embedding too
    check_out(out)  # in seconds, not after the training the save would have lost
    torch.manual_seed(tc.seed)
    rng = np.random.default_rng(tc.seed)
    events = read_jsonl(data)
    vocab = data_vocab(events)
    mc = mc or OracleConfig()
    texts = None
    if mc.backbone is not None:
        from augur.oracle.backbone import EventTexts

        texts = EventTexts(mc.backbone)
    train_streams, val_streams = split(events, tc.val_fraction)
    _check_labelled(data, train_streams, val_streams)
    if tc.identity_dropout > 0:
        vocab = replace(vocab, selves=tuple(sorted(
            {e.actor for s in train_streams for e in s if is_self(e)})))
    # Read and check the strangers before training, so a wrong file fails in seconds.
    stranger_streams = None if strangers is None else _stranger_streams(strangers, vocab)
    feat = Featurizer(vocab, texts=texts)
    mc.sizes, mc.n_actions = vocab.sizes(), len(vocab.actions)
    tr = [stream_arrays(s, feat, mc.max_len, sim=tc.sim_targets > 0) for s in train_streams]
    va = [stream_arrays(s, feat, mc.max_len) for s in val_streams]
    if texts is not None:
        texts.fill(progress=progress)
        mc.n_texts = len(texts)
    prior = use_transition_prior(tc.transition_prior, tr)
    if not prior:  # the table stays zeros: keep it one row per key, not one per pair
        mc.transition_order = 1
    model = OracleModel(mc)
    if texts is not None:
        model.embed.set_vectors(texts.vectors)
    if tc.class_weighting:
        model.lane_weights.copy_(_lane_weights(tr))
    if prior:
        _count_priors(model, tr)
    params = {"model": mc.to_json() | {"sizes": None}, "train": asdict(tc),
              "data": str(data), "params": sum(p.numel() for p in model.parameters())}
    with run(make_tracker(tc.tracking_uri), f"train-{Path(out).name}", params) as tracker:
        summary = _fit(model, tr, va, tc, rng, tracker, progress, on_step, started)
        summary["transition_prior"] = prior
        if texts is not None:
            summary["backbone"] = {"name": mc.backbone, "texts": len(texts),
                                   "embed_seconds": round(texts.embed_seconds, 1)}
        raw, val_y = validation_outputs(model, va)  # temperatures do not change raw logits
        summary["top_label_map"] = _calibrate(model, raw, val_y)
        summary["val_after_calibration"] = validation_metrics(model.calibrated(raw), val_y)
        if prior:
            # The counts are the model's cheapest knowledge, and on a log of few people
            # each one matters: count the validation streams in too, now that early
            # stopping and calibration are done with them. (Leaving 4 of 42 receipt
            # people out of the counts cost 0.019 of per-person top-1.)
            _count_priors(model, tr + va)
        if strangers is not None:
            summary["strangers"] = _calibrate_strangers(model, feat, stranger_streams,
                                                        strangers)
        meta = {"harness_version": _harness_version(), "train_config": asdict(tc),
                "trained_heads": _trained_heads(tr),
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "params": params["params"],
                "data": {"path": str(data), "events": len(events)}, "summary": summary}
        if texts is not None:
            meta["texts"] = texts.texts
        save_checkpoint(Path(out), model, vocab, meta)
        tracker.log_metrics({f"final_{k}": v for k, v in summary["val_after_calibration"].items()
                             if v is not None})
        tracker.log_artifact(Path(out) / "config.json")
    return summary


def _trained_heads(tr: list[StreamArrays]) -> list[str]:
    """The heads the training streams hold labels for; the others stay at their random
    start (their loss is masked), and predictions leave them out (Oracle.heads)."""
    has = {"next_action": any((a.next_action >= 0).any() for a in tr),
           "routing": any((a.routing >= 0).any() for a in tr),
           "proactive": any(a.proactive_mask.any() for a in tr),
           "delay": any(a.delay_mask.any() for a in tr),
           "relevance": any((a.relevance >= 0).any() for a in tr)}
    return [h for h, ok in has.items() if ok]


def _fit(model, tr, va, tc: TrainConfig, rng, tracker, progress: bool,
         on_step: Callable[[dict], None] | None = None,
         started: float | None = None) -> dict[str, Any]:
    opt = torch.optim.AdamW(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    lengths = tc.curriculum if tc.use_curriculum else (model.cfg.max_len,)
    plan = [lengths[min(e, len(lengths) - 1)] for e in range(tc.epochs)]
    per_epoch = {n: math.ceil(len(chunks(tr, n, None)) / _per_batch(tr, n, tc))
                 for n in set(plan)}
    total = sum(per_epoch[n] for n in plan)
    best, best_state, stale, step, start = -1.0, None, 0, 0, time.monotonic()
    started = started or start
    schedule = _schedule(tc, total, started)

    def out_of_time() -> bool:
        return tc.time_budget_s is not None and time.monotonic() - started > tc.time_budget_s

    ema = _Ema(model, tc.ema_decay)
    history = []
    bar = tqdm(total=total, unit="step", desc="train", disable=True if not progress else None)
    for epoch, length in enumerate(plan):
        model.train()
        pieces = chunks(tr, length, rng)
        order = rng.permutation(len(pieces))
        per = _per_batch(tr, length, tc)
        for i in range(0, len(order), per):
            group = [pieces[j] for j in order[i:i + per]]
            # Drawn only when asked for, so the default run's random stream is unchanged.
            anon = rng.random(len(group)) < tc.identity_dropout if tc.identity_dropout else None
            batch, y = collate(tr, group, last_only=model.cfg.attention == "bidirectional",
                               anon=anon)
            if out_of_time():
                break  # validate what there is, then stop (below)
            for g in opt.param_groups:
                g["lr"] = tc.lr * schedule(step)
            y["sim_weight"] = tc.sim_targets
            _, loss = model(batch, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            ema.update(model)
            step += 1
            value = loss.item()
            if not math.isfinite(value):
                # Stop here: every later step, and so the checkpoint, would be NaN. Read
                # from the float the bar needs anyway: a torch.isfinite tensor each step
                # moved the allocator enough to change the default model's bits.
                raise AugurError(f"training diverged at step {step} (epoch {epoch + 1}): "
                                 f"the loss is {value}; lower the learning rate "
                                 f"(lr {tc.lr}, --lr; default {TrainConfig.lr})")
            bar.update(1)
            bar.set_postfix(loss=f"{value:.3f}", val=f"{best:.3f}", len=length)
            if on_step is not None:
                on_step({"step": step, "total": total, "epoch": epoch, "loss": loss.item(),
                         "best_val": best})
        with ema.swapped_in(model):  # validate (and keep) the averaged weights
            metrics = _validate(model, va)
            if metrics["composite"] > best + 1e-4:
                best, best_state, stale = metrics["composite"], copy.deepcopy(model.state_dict()), 0
            else:
                stale += 1
        history.append({"epoch": epoch, "length": length, **metrics})
        tracker.log_metrics({f"val_{k}": v for k, v in metrics.items() if v is not None}, epoch)
        if stale >= tc.patience or out_of_time():
            break
    bar.close()
    if best_state is None:  # no validation composite was a number
        raise AugurError(f"training kept no weights: the validation composite read "
                         f"{history[-1]['composite']} after every epoch; lower the learning "
                         f"rate (lr {tc.lr}, --lr)")
    model.load_state_dict(best_state)
    return {"best_val_composite": best, "epochs_run": len(history), "steps": step,
            "seconds": round(time.monotonic() - start, 1), "history": history}


class _Ema:
    """An exponential moving average of the weights: steadier than the last step's.

    The decay warms up, (1 + n) / (10 + n) after n updates until it reaches `decay`:
    a small log trains for only a few hundred steps, and a fixed 0.995 would still
    hold half of the random initial weights after 140 of them. Long runs reach the
    full decay after about 1,800 steps, and by their best epoch those first steps
    weigh nothing."""

    def __init__(self, model: OracleModel, decay: float) -> None:
        self.decay, self.updates = decay, 0
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()
                       if v.dtype.is_floating_point}

    @torch.no_grad()
    def update(self, model: OracleModel) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for k, v in model.state_dict().items():
            if k in self.shadow:
                self.shadow[k].lerp_(v, 1 - decay)

    @contextlib.contextmanager
    def swapped_in(self, model: OracleModel):
        live = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict({**live, **self.shadow})
        try:
            yield
        finally:
            model.load_state_dict(live)


def _per_batch(arrays: list[StreamArrays], length: int, tc: TrainConfig) -> int:
    """Chunks per batch for about batch_tokens events: short streams (a log's cases) give
    chunks shorter than the curriculum length, so count what they really hold."""
    mean = sum(len(a) for a in arrays) / max(1, len(chunks(arrays, length, None)))
    return max(1, round(tc.batch_tokens / max(1.0, mean)))


def _schedule(tc: TrainConfig, total: int, started: float):
    """Warm-up, then cosine decay over the planned steps, or over the time budget when
    that runs out first: a budgeted run still ends on a low learning rate."""
    def factor(step: int) -> float:
        if step < tc.warmup_steps:
            return (step + 1) / tc.warmup_steps
        progress = (step - tc.warmup_steps) / max(1, total - tc.warmup_steps)
        if tc.time_budget_s is not None:
            progress = max(progress, (time.monotonic() - started) / tc.time_budget_s)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return factor


def validation_outputs(model: OracleModel, arrays: list[StreamArrays]):
    """Raw outputs and targets at every validation step, each seen with up to max_len
    events of history (overlapping chunks; only the second half of each is scored)."""
    model.eval()
    n, half = model.cfg.max_len, model.cfg.max_len // 2
    pieces = chunks(arrays, n, None, overlap=half)
    outs, ys = [], []
    with torch.no_grad():
        for i in range(0, len(pieces), 32):
            group = pieces[i:i + 32]
            first = [lo == 0 for _, lo, _ in group]
            if model.cfg.attention == "bidirectional":  # one window per step: slow but exact
                batch, y = _last_only(arrays, group, first, half)
            else:
                batch, y = collate(arrays, group, score_from=[0 if f else half for f in first])
            out, _ = model(batch)
            m = y["loss_mask"]
            outs.append({k: v[m] for k, v in out.items()})
            ys.append({k: v[m] for k, v in y.items() if k != "loss_mask"})
    return ({k: torch.cat([o[k] for o in outs]) for k in outs[0]},
            {k: torch.cat([t[k] for t in ys]) for k in ys[0]})


def _last_only(arrays, group, first, half):
    windows = []
    for (s, lo, hi), f in zip(group, first, strict=True):
        for end in range(lo + (0 if f else half), hi):
            windows.append((s, max(0, end + 1 - (hi - lo)), end + 1))
    return collate(arrays, windows, last_only=True)


def _validate(model: OracleModel, va: list[StreamArrays]) -> dict[str, float | None]:
    out, y = validation_outputs(model, va)
    return validation_metrics(model.calibrated(out), y)


def _calibrate(model: OracleModel, out: dict, y: dict) -> dict[str, Any]:
    """Fit the temperatures, the top-label map and the proactive threshold on raw
    validation outputs; returns the map's held-out check."""
    model.temperature.copy_(_temperatures(out, y))
    model.top_label[0], check = _top_label_map(model, out, y, stranger=False)
    # Strangers are calibrated as known people until a strangers file fits their own.
    model.stranger_temperature.copy_(model.temperature)
    model.top_label[1] = model.top_label[0]
    keep = y["proactive_mask"]
    if keep.any():
        probs = model.calibrated(out)["proactive"][keep].numpy()
        _, threshold = best_threshold_f1(probs, y["proactive"][keep].numpy().astype(bool))
        model.proactive_threshold.fill_(float(threshold))
    return check


def _temperatures(out: dict, y: dict) -> torch.Tensor:
    """One temperature per calibrated head, each minimising NLL where its labels exist."""
    temps = []
    for head, labels, binary in (("next_action", y["next_action"], False),
                                 ("routing", y["routing"], False),
                                 ("proactive", y["proactive"], True)):
        keep = (y["proactive_mask"] if binary else labels != -100)
        temps.append(fit_temperature(out[head][keep], labels[keep], binary=binary))
    return torch.tensor(temps)


def _top_label_map(model: OracleModel, out: dict, y: dict,
                   stranger: bool) -> tuple[torch.Tensor, dict[str, Any]]:
    """The next action's top-label map for known people or strangers, fitted on their
    probabilities after the temperature (the identity where it fails its held-out
    check), and that check."""
    keep = y["next_action"] != -100
    everyone = torch.full((len(keep),), stranger, dtype=torch.bool)
    probs = model.calibrated(out, everyone, top_label=False)["next_action"][keep]
    return choose_top_label_map(probs, y["next_action"][keep])


def _stranger_streams(path: Path, vocab: Vocab) -> list[list[Event]]:
    """The streams of a strangers file, refused if any of its people trained the model
    or if it has no step labelled with an action the model predicts."""
    streams = list(group_streams(read_jsonl(path)).values())
    known = sorted({e.actor for s in streams for e in s if is_self(e)} & set(vocab.selves or ()))
    if known:
        raise ValueError(f"strangers: {path} holds people the model trains on ({', '.join(known)}"
                         "); it must hold only people kept out of the training data")
    actions = set(vocab.actions)
    if not any(e.labels and e.labels.next_action in actions for s in streams for e in s):
        raise ValueError(f"strangers: {path} has no step labelled with one of the model's "
                         "actions to calibrate on")
    return streams


def _calibrate_strangers(model: OracleModel, feat: Featurizer, streams: list[list[Event]],
                         path: Path) -> dict[str, Any]:
    """Fit stranger_temperature and the strangers' top-label map on the streams of people
    kept out of training, scored from their first event as the harness's cold start is;
    returns what it measured."""
    arrays = [stream_arrays(s, feat, model.cfg.max_len) for s in streams]
    raw, y = validation_outputs(model, arrays)
    model.stranger_temperature.copy_(_temperatures(raw, y))
    model.top_label[1], check = _top_label_map(model, raw, y, stranger=True)
    everyone = torch.ones(len(y["next_action"]), dtype=torch.bool)
    return {"path": str(path), "streams": len(streams),
            "steps": int((y["next_action"] != -100).sum()),
            "temperature": [round(float(t), 4) for t in model.stranger_temperature],
            "top_label_map": check,
            "before_calibration": validation_metrics(model.calibrated(raw), y),
            "after_calibration": validation_metrics(model.calibrated(raw, everyone), y)}


def _count_priors(model: OracleModel, arrays: list[StreamArrays]) -> None:
    model.transition.copy_(transition_table(arrays, model))
    model.delay_prior.copy_(delay_prior(arrays, model.transition_keys, len(model.delay_prior)))


def _lane_weights(arrays: list[StreamArrays]) -> torch.Tensor:
    counts = np.bincount(np.concatenate([a.routing[a.routing >= 0] for a in arrays] or
                                        [np.zeros(0, np.int64)]), minlength=5).astype(float)
    if counts.sum() == 0:
        return torch.ones(5)
    w = 1.0 / np.sqrt(np.maximum(counts, 1.0))
    return torch.tensor(w / w.mean(), dtype=torch.float32)  # mean 1: the loss scale stays


def _harness_version() -> str:
    from augur.harness.constants import HARNESS_VERSION

    return HARNESS_VERSION
