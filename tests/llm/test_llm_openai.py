"""The OpenAI-compatible backend against a real llama-cpp-python server on 127.0.0.1."""

from __future__ import annotations

import re

import pytest
from llm_cases import HELLO, TIP_MESSAGES, Tip

from augur.llm.backend import BackendError
from augur.llm.openai_compat import OpenAIBackend
from augur.llm.structured import generate_structured

STARTUP_S = 90  # model load is ~1 s; the rest is importing FastAPI on a busy 2-core box


@pytest.fixture(scope="module")
def server(smollm2, tmp_path_factory, server_process):
    """llama-cpp-python's server (`python -m llama_cpp.server`'s main) on SmolLM2, through
    `python -m augur.llm.llamacpp`, which loads models without llama.cpp's extra weight
    buffers: with them, the AMX path on this CPU segfaults at the first request."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    args = ["augur.llm.llamacpp", "--model", str(smollm2), "--model_alias", "smollm2",
            "--host", "127.0.0.1", "--port", "{port}", "--n_ctx", "2048", "--n_threads", "1",
            "--n_threads_batch", "1"]
    with server_process(args, "/v1/models", log, STARTUP_S) as url:
        yield f"{url}/v1"


def test_plain_generation_through_the_server(server):
    backend = OpenAIBackend(server, "smollm2")
    gen = backend.generate(HELLO, max_tokens=12, temperature=0.0, seed=0)
    assert backend.name == "openai:smollm2"
    assert gen.text.strip() and gen.prompt_tokens > 5 and 0 < gen.completion_tokens <= 12
    assert gen.model == "smollm2" and not gen.constrained and gen.latency_s > 0
    # Greedy decoding repeats itself, compared between two requests that take the same
    # path: llama-cpp-python (0.3.36) reuses the cached prompt from the second identical
    # request on, evaluating its last token alone, which can flip a near-tied first pick
    # against the cold first request ("world!" then "world.").
    again = [backend.generate(HELLO, max_tokens=12, temperature=0.0, seed=0).text
             for _ in range(2)]
    assert again[0] == again[1] and again[0].strip()


def test_structured_output_is_constrained_by_the_server(server):
    backend = OpenAIBackend(server, "smollm2")
    for seed in range(3):
        tip, gen = generate_structured(backend, TIP_MESSAGES, Tip, max_tokens=80,
                                       temperature=0.7, seed=seed)
        assert gen.constrained and isinstance(tip, Tip)


def test_openai_style_response_format_is_rejected_by_this_server(server):
    backend = OpenAIBackend(server, "smollm2", schema_format="openai")
    url = re.escape(backend.url)
    with pytest.raises(BackendError, match=f"POST {url}: HTTP 500 (?s:.*)json_object"):
        backend.generate(HELLO, max_tokens=8, json_schema=Tip.model_json_schema())


def test_connection_refused_names_the_url(unused_port):
    url = f"http://127.0.0.1:{unused_port}/v1"  # bound then released: nothing listens
    backend = OpenAIBackend(url, "smollm2", timeout_s=5)
    with pytest.raises(BackendError, match=re.escape(f"POST {url}/chat/completions: "
                                                     "cannot connect")):
        backend.generate(HELLO, max_tokens=4)


def test_a_rem_task_is_answered_through_the_endpoint(server):
    """Task 1's `openai:URL#MODEL` row (how a user compares a large model): the task's
    grammar reaches the server, so every answer starts with the operation; an answer
    can still run out of tokens (SmolLM2 zero-shot writes long refusal reasons), and
    the harness counts that as invalid."""
    from augur.memory.tasks.harness.evaluate import evaluate_query_model
    from augur.memory.tasks.query_models import make_query_model

    model = make_query_model(f"openai:{server}#smollm2", shots=0)
    report, preds = evaluate_query_model(model, "val", limit=3, progress=False)
    assert all(p.text.lstrip().startswith("{") and '"query_type"' in p.text[:20]
               for p in preds), [p.text[:40] for p in preds]
    assert report["validity"] >= 0.6 and all(p.latency_ms > 0 for p in preds)
