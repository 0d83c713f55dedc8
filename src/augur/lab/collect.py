"""Phase A of the tip lab: every (model, prompt, scenario) cell writes N tips, one MLflow run each.

A cell's run holds its params, the tags judging and ranking search by
(judge_pending, rubric_version, cell_key, status) and five artifacts:
prompt.txt, context.json, candidates.json (texts + automatic flags), raw.json
(responses with token counts and latency) and rubric.json. Cells already
collected are skipped, so an interrupted grid resumes where it stopped. Models
run one at a time (load, all their cells, close): only one is ever in memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from tqdm import tqdm

from augur.lab.generators import Generator, GenSettings, make_generator
from augur.lab.prompts import get_prompt, render_text
from augur.lab.rubric import RUBRIC, VERSION, flags
from augur.lab.scenarios import get_scenario, resolve_scenarios
from augur.lab.store import COLLECTED, LabStore


@dataclass(frozen=True)
class Cell:
    model: str  # the grid spec as given ("template", "llamacpp", "openai:URL#model", ...)
    prompt: str
    scenario: str

    @property
    def label(self) -> str:
        return f"{self.model} | {self.prompt} | {self.scenario}"

    def key(self, settings: GenSettings) -> str:
        """Stable id of the cell and how it samples: same key, same tips, so one run is enough."""
        data = {"cell": "lab-cell/1", **asdict(self), **asdict(settings)}
        return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CollectConfig:
    models: tuple[str, ...]
    prompts: tuple[str, ...]
    scenarios: tuple[str, ...] = ()  # empty: every scenario
    settings: GenSettings = field(default_factory=GenSettings)

    def cells(self) -> list[Cell]:
        """The grid, model-major; unknown prompts or scenarios fail here, before any work."""
        if not self.models:
            raise ValueError("models: expected at least one model spec, got none")
        prompts = [get_prompt(p).version for p in self.prompts]
        if not prompts:
            raise ValueError("prompts: expected at least one prompt version, got none")
        scenarios = [s.name for s in resolve_scenarios(list(self.scenarios))]
        models = list(dict.fromkeys(self.models))
        return [Cell(m, p, s) for m in models for p in prompts for s in scenarios]


@dataclass
class CollectReport:
    collected: list[str] = field(default_factory=list)  # run ids
    skipped: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # cell label -> error

    def summary(self) -> str:
        text = (f"collected {len(self.collected)} cells, skipped {self.skipped} already "
                f"collected, {len(self.failed)} failed")
        return text + "".join(f"\n  failed {cell}: {err}" for cell, err in self.failed.items())


def collect(store: LabStore, config: CollectConfig,
            make: Callable[[str], Generator] = make_generator,
            progress: bool = True) -> CollectReport:
    """Collect every grid cell not yet in the store; a failing cell is recorded, not fatal."""
    cells = config.cells()
    done = {run.data.tags.get("cell_key") for run in store.search(COLLECTED)}
    todo = [c for c in cells if c.key(config.settings) not in done]
    report = CollectReport(skipped=len(cells) - len(todo))
    bar = tqdm(total=len(todo), unit="cell", desc="collect", disable=not progress or None)
    try:
        for model in dict.fromkeys(c.model for c in todo):
            generator = make(model)  # a bad spec fails here with make_backend's own message
            try:
                for cell in (c for c in todo if c.model == model):
                    bar.set_postfix_str(cell.label, refresh=False)
                    run_id, error = collect_cell(store, generator, cell, config.settings)
                    if error is None:
                        report.collected.append(run_id)
                    else:
                        report.failed[cell.label] = error
                    bar.update(1)
            finally:
                generator.close()
    finally:
        bar.close()
    return report


def collect_cell(store: LabStore, generator: Generator, cell: Cell,
                 settings: GenSettings) -> tuple[str, str | None]:
    """One cell into one run; returns (run id, error text or None)."""
    prompt, scenario = get_prompt(cell.prompt), get_scenario(cell.scenario)
    params = {"model": cell.model, "prompt_version": cell.prompt, "scenario": cell.scenario,
              "persona_seed": scenario.persona_seed, "slot": scenario.slot,
              "n": settings.n, "temperature": settings.temperature,
              "max_tokens": settings.max_tokens, "seed": settings.seed}
    tags = {"judge_pending": "true", "rubric_version": VERSION, "cell_key": cell.key(settings),
            "cell": cell.label, "model": cell.model, "prompt_version": cell.prompt,
            "scenario": cell.scenario, "status": "running"}
    run_id = store.create_run(cell.label, params, tags)
    try:
        ctx = scenario.context()
        # What the cell was given goes in first, so a failed cell still shows its inputs.
        store.log_json(run_id, "rubric.json", RUBRIC)
        store.log_json(run_id, "context.json", ctx.to_dict())
        store.log_text(run_id, "prompt.txt", render_text(prompt.render(ctx)))
        generations = generator.generate(prompt, ctx, settings)
        if len(generations) != settings.n:
            raise RuntimeError(f"generator {generator.name!r} returned {len(generations)} tips, "
                               f"expected n={settings.n}")
        candidates = [{"index": i, "text": g.text.strip(), **flags(g.text)}
                      for i, g in enumerate(generations)]
        raw = [{"index": i, "seed": settings.seed + i, **asdict(g)}
               for i, g in enumerate(generations)]
        store.log_json(run_id, "candidates.json", candidates)
        store.log_json(run_id, "raw.json", raw)
        store.log_metrics(run_id, _summary(candidates, raw))
        store.set_tags(run_id, {"status": "collected", "generator": generator.name})
        store.finish(run_id)
        return run_id, None
    except BaseException as e:
        error = f"{type(e).__name__}: {e}"
        store.set_tags(run_id, {"status": "failed", "error": error, "judge_pending": "false"})
        interrupted = isinstance(e, KeyboardInterrupt)
        store.finish(run_id, "KILLED" if interrupted else "FAILED")
        if not isinstance(e, Exception):
            raise  # Ctrl-C stops the grid; only ordinary errors are cell results
        return run_id, error


def _summary(candidates: list[dict], raw: list[dict]) -> dict[str, float]:
    n = len(candidates)
    tokens = sum(r["completion_tokens"] for r in raw)
    latency = sum(r["latency_s"] for r in raw)
    return {"format_ok_rate": sum(c["format_ok"] for c in candidates) / n,
            "overlong_rate": sum(c["overlong"] for c in candidates) / n,
            "completion_tokens_mean": tokens / n,
            "latency_s_mean": latency / n,
            "tokens_per_s": tokens / latency if latency > 0 else 0.0}
