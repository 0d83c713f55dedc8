"""KnowledgeWorkerPersona: a deterministic simulator of one knowledge worker.

How a stream is made. The person acts one thing at a time. After each of
their actions (a "decision point") they pick the next action from
`action_distribution(state)` and when it happens from its `delay_law`. The
world's arrivals (email, CI results, invites, pages, ...) keep coming in
meanwhile; they queue up in the state and shape the *following* decisions,
but never cancel the one already made: the person finishes what they started.
That rule is what makes the labels exact: every event between two actions is
labelled with the action that comes next, and the simulator knows the exact
probability of that label given its state: the decision's distribution,
reweighted by the chance that each candidate action had not yet happened by the
event's time (Bayes with the delay law's survival function).

Every step gets: next action, delay in minutes, routing lane, whether a
proactive nudge would be accepted, candidate artifacts and the target; and the
simulator's own distributions over each (the `sim` field).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from statistics import NormalDist

from tqdm import tqdm

from augur.events.persona_effects import Arrival, World
from augur.events.persona_habits import Habits, draw_habits
from augur.events.persona_policy import (
    LANE_NAMES,
    DelayLaw,
    action_distribution,
    delay_law,
    lane_distribution,
    proactive_probability,
)
from augur.events.persona_targets import target_of
from augur.events.persona_world import State
from augur.events.schema import Event
from augur.events.vocab import ACTION_EVENT

N_CANDIDATES = 8
_NORMAL = NormalDist()


@dataclass
class _Decision:
    """The next action, chosen at `t0`, with everything needed to label the steps before it."""

    t0: int
    action: str
    t_exec: int
    probs: dict[str, float]
    laws: dict[str, DelayLaw]
    lanes: dict[str, list[float]]  # P(lane | action)
    targets: dict[str, str]  # action -> artifact it touches
    lane: str
    candidates: list[str]


@dataclass
class _Step:
    fields: dict
    t: int
    sim: dict


class KnowledgeWorkerPersona:
    """One simulated knowledge worker; `generate(days)` is a pure function of `seed`."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    @property
    def habits(self) -> Habits:
        return draw_habits(self.seed)

    def generate(self, days: int, progress: bool = False) -> list[Event]:
        """The person's first `days` days of events, every one labelled."""
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise ValueError(f"days must be a positive integer, got {days!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        return list(_Simulation(self.seed, days, progress).run())


class _Simulation:
    def __init__(self, seed: int, days: int, progress: bool) -> None:
        self.habits = draw_habits(seed)
        self.rng = random.Random(f"augur-world-{seed}")
        self.s = State(self.habits, now=0)
        self.s.now = self.s.at_local(0, 0.0)
        self.horizon = self.s.at_local(days, 0.0)
        self.heap: list[Arrival] = []
        self.seq = 0
        self.world = World(self.s, self.rng, self._push)
        self.recent: deque[str] = deque(maxlen=24)
        self.open: list[_Step] = []
        self.stream = f"persona-{seed}"
        # disable=None: show the bar only on a terminal, keep logs clean.
        self.bar = tqdm(total=days, unit="day", desc=f"persona {seed}",
                        disable=True if not progress else None, leave=False)

    def _push(self, t: int, kind: str, data: dict) -> None:
        self.seq += 1
        heapq.heappush(self.heap, Arrival(t, self.seq, kind, data))

    # ---- main loop -----------------------------------------------------------------
    def run(self) -> Iterator[Event]:
        self._push(self.s.now, "rollover", {"day": 0})
        decision = self._decide()
        while True:
            nxt = self.heap[0]
            if min(nxt.t, decision.t_exec) >= self.horizon:
                yield from self._resolve(decision)  # labels of the last steps are known now
                break
            if nxt.t <= decision.t_exec:
                heapq.heappop(self.heap)
                self.s.now = nxt.t
                self._arrival(nxt, decision)
                continue
            yield from self._resolve(decision)
            self.s.now = decision.t_exec
            self._execute(decision)
            decision = self._decide()
            self._record(self.open[-1], decision)
        self.bar.close()

    def _arrival(self, a: Arrival, decision: _Decision) -> None:
        if a.kind == "rollover":
            day = a.data["day"]
            self.world.rollover(day)
            self._push(self.s.at_local(day + 1, 0.0), "rollover", {"day": day + 1})
            self.bar.update(1)
            return
        fields = self.world.arrive(a)
        if fields is None:
            return
        source = {"email_received": "mail", "chat_message": "chat", "chat_mention": "chat",
                  "incident_alert": "pager", "ticket_assigned": "tracker", "doc_shared": "docs",
                  "meeting_invite": "calendar", "calendar_reminder": "calendar"}.get(a.kind)
        if source is None:
            source = "ci" if a.kind.startswith(("ci_", "deploy")) else "code_host"
        step = self._step(a.kind, source, fields)
        self._record(step, decision)

    def _execute(self, d: _Decision) -> None:
        s = self.s
        etype, source = ACTION_EVENT[d.action]
        kind, project = self.world.artifacts.get(d.targets[d.action], ("notes", None))
        self.world.act(d.action, d.targets[d.action])
        s.prev_action = d.action
        fields = {"actor": self.habits.actor, "importance": 0.3, "action": d.action,
                  "artifact": d.targets[d.action], "project": project}
        self._step(etype, source, fields)

    def _step(self, etype: str, source: str, fields: dict) -> _Step:
        artifact = fields.pop("artifact")
        self.recent.append(artifact)
        attributes = {"artifact": artifact, **fields.pop("attributes", {})}
        data = {"ts": self.s.local().isoformat(), "type": etype, "source": source,
                "stream": self.stream, "attributes": attributes, **fields}
        step = _Step(fields=data, t=self.s.now, sim={})
        self.open.append(step)
        return step

    # ---- deciding and labelling -------------------------------------------------------
    def _decide(self) -> _Decision:
        s, w = self.s, self.world
        probs = action_distribution(s)
        laws = {a: delay_law(s, a) for a in probs}
        targets, lanes = {}, {}
        for a in probs:
            aid, importance, question = target_of(s, w, a)
            targets[a] = aid
            lanes[a] = lane_distribution(s, a, importance, question)
        actions = list(probs)
        action = self.rng.choices(actions, weights=[probs[a] for a in actions])[0]
        law = laws[action]
        minutes = law.offset + self.rng.lognormvariate(math.log(law.median), law.sigma)
        t_exec = s.now + max(5, round(minutes * 60))
        lane = self.rng.choices(LANE_NAMES, weights=lanes[action])[0]
        return _Decision(s.now, action, t_exec, probs, laws, lanes, targets, lane,
                         self._candidates(probs, targets, targets[action]))

    def _candidates(self, probs: dict[str, float], targets: dict[str, str], true: str) -> list[str]:
        mass: dict[str, float] = {}
        for a, p in probs.items():
            mass[targets[a]] = mass.get(targets[a], 0.0) + p
        ranked = sorted(mass, key=lambda k: (-mass[k], k))[:N_CANDIDATES]
        if true not in ranked:
            ranked[-1] = true
        for aid in reversed(self.recent):
            if len(ranked) >= N_CANDIDATES:
                break
            if aid not in ranked:
                ranked.append(aid)
        pool = self.world.created  # recently created artifacts, oldest first
        while len(ranked) < min(N_CANDIDATES, len(pool)):
            aid = pool[self.rng.randrange(len(pool))]
            if aid not in ranked:
                ranked.append(aid)
        self.rng.shuffle(ranked)
        return ranked

    def _record(self, step: _Step, d: _Decision) -> None:
        """Attach the simulator's distributions for `step`, given the pending decision."""
        elapsed = (step.t - d.t0) / 60
        post = {a: p * d.laws[a].survival(elapsed) for a, p in d.probs.items()}
        total = sum(post.values()) or 1.0
        post = {a: p / total for a, p in post.items()}
        lanes = [sum(post[a] * d.lanes[a][i] for a in post) for i in range(len(LANE_NAMES))]
        cand = {c: 0.0 for c in d.candidates}
        for a, p in post.items():
            if d.targets[a] in cand:
                cand[d.targets[a]] += p
        ctotal = sum(cand.values()) or 1.0
        q = proactive_probability(self.s, step.fields["type"], lanes[3] + lanes[2])
        step.sim = {
            "action_probs": {a: round(p, 6) for a, p in sorted(post.items()) if p >= 5e-7},
            "lane_probs": {n: round(v, 6) for n, v in zip(LANE_NAMES, lanes, strict=True)},
            "proactive_prob": round(q, 6),
            "candidate_probs": [round(cand[c] / ctotal, 6) for c in d.candidates],
            "delay_median": round(_conditional_median(post, d.laws, elapsed), 3),
        }
        step.fields["_proactive"] = self.rng.random() < q

    def _resolve(self, d: _Decision) -> Iterator[Event]:
        kinds = self.world.artifacts
        candidates = [{"id": c, "kind": kinds[c][0], **({"project": kinds[c][1]}
                                                         if kinds[c][1] else {})}
                      for c in d.candidates]
        for step in self.open:
            if step.t >= self.horizon:
                continue
            data = step.fields
            data["labels"] = {
                "next_action": d.action,
                "delay_min": round((d.t_exec - step.t) / 60, 3),
                "lane": d.lane,
                "proactive": data.pop("_proactive"),
                "candidates": candidates,
                "target": d.targets[d.action],
            }
            data["sim"] = step.sim
            yield Event.model_validate(data)
        self.open = []


def _conditional_median(post: dict[str, float], laws: dict[str, DelayLaw], elapsed: float) -> float:
    """Median of the remaining delay (minutes) given it exceeds `elapsed`."""
    groups: dict[DelayLaw, float] = {}
    for a, p in post.items():
        if p > 0:
            groups[laws[a]] = groups.get(laws[a], 0.0) + p
    if len(groups) == 1:
        (law,) = groups
        return _single_median(law, elapsed)

    def remaining_survival(x: float) -> float:  # P(delay - elapsed > x | delay > elapsed)
        return sum(w * law.survival(elapsed + x) / max(law.survival(elapsed), 1e-300)
                   for law, w in groups.items())

    lo, hi = 0.0, 60.0
    while remaining_survival(hi) > 0.5 and hi < 1e6:
        hi *= 2
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if remaining_survival(mid) > 0.5 else (lo, mid)
    return (lo + hi) / 2


def _single_median(law: DelayLaw, elapsed: float) -> float:
    if elapsed <= law.offset:
        return law.offset - elapsed + law.median
    z_e = (math.log(elapsed - law.offset) - math.log(law.median)) / law.sigma
    z = _NORMAL.inv_cdf(min(0.5 + 0.5 * _NORMAL.cdf(z_e), 1 - 1e-12))
    return law.offset + law.median * math.exp(law.sigma * z) - elapsed
