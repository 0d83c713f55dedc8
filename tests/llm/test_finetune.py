"""`augur llm finetune`: rows, labels, training, resume and the atomic adapter, on a
tiny Llama built here with SmolLM2's real tokenizer and chat template (seconds a
run); the export to GGUF on SmolLM2 itself (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from augur.llm.finetune.config import FinetuneConfig
from augur.llm.finetune.data import IGNORE, RowError, encode, read_rows
from augur.llm.finetune.train import ADAPTER, CHECKPOINT, finetune

ROWS = [{"messages": [{"role": "system", "content": "Answer with the colour."},
                      {"role": "user", "content": f"What colour is item {i}?"},
                      {"role": "assistant", "content": ["red", "green", "blue"][i % 3]}]}
        for i in range(12)]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """A 2-layer Llama (random weights) with SmolLM2's tokenizer, as an HF folder."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from augur.llm.hf import offline
    from augur.llm.models import smollm2_gguf

    offline()
    gguf = smollm2_gguf()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    folder = tmp_path_factory.mktemp("tiny-llama")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=256, tie_word_embeddings=True,
                         initializer_range=0.3,  # logits wide enough to learn from
                         eos_token_id=tok.eos_token_id)
    LlamaForCausalLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def _data(tmp_path: Path, rows=ROWS) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _cfg(tiny: Path, tmp_path: Path, out: str = "run", **kw) -> FinetuneConfig:
    settings = dict(rank=4, alpha=8, batch_size=4, epochs=2, lr=5e-3, save_every=2,
                    warmup=0.0, device="cpu", threads=1)
    return FinetuneConfig(data=_data(tmp_path), out=tmp_path / out, base=tiny,
                          **{**settings, **kw})


def test_bad_rows_name_line_and_field(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n{not json\n")
    with pytest.raises(RowError, match=r"bad.jsonl:2: not JSON"):
        read_rows(path)
    no_answer = {"messages": ROWS[0]["messages"][:2]}
    path.write_text(json.dumps(no_answer) + "\n")
    with pytest.raises(RowError, match=r":1: messages\[-1\]: expected the assistant's answer"):
        read_rows(path)
    path.write_text(json.dumps({"messages": [{"role": "bot", "content": "x"}] * 2}) + "\n")
    with pytest.raises(RowError, match=r"messages\[0\]: expected"):
        read_rows(path)
    path.write_text("\n")
    with pytest.raises(RowError, match="no rows"):
        read_rows(path)


def test_config_errors_name_the_flag(tmp_path):
    with pytest.raises(ValueError, match="--data .*not found"):
        FinetuneConfig(data=tmp_path / "none.jsonl", out=tmp_path).check()
    data = _data(tmp_path)
    with pytest.raises(ValueError, match="--rank: expected a positive integer, got 0"):
        FinetuneConfig(data=data, out=tmp_path, rank=0).check()
    with pytest.raises(ValueError, match="--lr"):
        FinetuneConfig(data=data, out=tmp_path, lr=2.0).check()


def test_labels_cover_the_answer_and_its_end_of_turn_only(tiny):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny, local_files_only=True)
    enc = encode(tok, ROWS[1]["messages"], max_len=256)
    answer = [t for t, lab in zip(enc.ids, enc.labels, strict=True) if lab != IGNORE]
    assert tok.decode(answer).strip() == "green<|im_end|>"
    assert not enc.cut and len(enc.ids) == len(enc.labels)
    cut = encode(tok, ROWS[1]["messages"], max_len=10)
    assert cut.cut and len(cut.ids) == 10


def test_training_learns_and_writes_a_whole_adapter(tiny, tmp_path):
    cfg = _cfg(tiny, tmp_path, epochs=10, lr=5e-2)
    result = finetune(cfg, val=cfg.data, log=lambda *_: None)
    log = [json.loads(line) for line in (cfg.out / "log.jsonl").read_text().splitlines()]
    assert len(log) == result.steps == 30  # 12 rows / 4 a batch x 10 epochs
    assert np.mean([e["loss"] for e in log[-3:]]) < 0.5 * np.mean([e["loss"] for e in log[:3]])
    assert result.val_loss is not None and result.val_loss < log[0]["loss"]
    adapter = cfg.out / ADAPTER
    assert {p.name for p in adapter.iterdir()} >= {"adapter_config.json",
                                                   "adapter_model.safetensors"}
    assert json.loads((adapter / "adapter_config.json").read_text())["r"] == 4
    assert not (cfg.out / CHECKPOINT).exists()  # superseded by the adapter
    assert (cfg.out / "loss.png").stat().st_size > 1000


def test_interrupted_run_resumes_to_the_same_adapter(tiny, tmp_path):
    from safetensors.numpy import load_file

    straight = finetune(_cfg(tiny, tmp_path, "straight"), log=lambda *_: None)

    def stop_at_3(step, loss):
        if step == 3:
            raise KeyboardInterrupt

    cfg = _cfg(tiny, tmp_path, "resumed")
    with pytest.raises(KeyboardInterrupt):
        finetune(cfg, log=lambda *_: None, on_step=stop_at_3)
    assert not (cfg.out / ADAPTER).exists()  # no adapter from an unfinished run
    assert json.loads((cfg.out / CHECKPOINT / "state.json").read_text())["step"] == 3
    resumed = finetune(cfg, log=lambda *_: None)
    assert resumed.resumed_from == 3 and resumed.steps == straight.steps == 6
    a = load_file(straight.adapter / "adapter_model.safetensors")
    b = load_file(resumed.adapter / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(a[k], b[k], atol=1e-5, err_msg=k)
    steps = [json.loads(line)["step"] for line in (cfg.out / "log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 7))  # the resumed log has each step once


def test_a_checkpoint_of_another_run_is_refused(tiny, tmp_path):
    cfg = _cfg(tiny, tmp_path)

    def stop(step, loss):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finetune(cfg, log=lambda *_: None, on_step=stop)
    other = _cfg(tiny, tmp_path)
    other.lr = 1e-3
    with pytest.raises(ValueError, match="a checkpoint of a different run"):
        finetune(other, log=lambda *_: None)


@pytest.mark.slow
def test_export_round_trips_through_gguf_and_llamacpp(tmp_path):
    """One step on SmolLM2, merged and written as f16 and q4_0 GGUF: transformers
    reads the f16 file back to the merged weights (names and the q/k permutation
    right), and llama.cpp answers with the q4_0 file."""
    from augur.llm.finetune.export import export, merged_state, tuned_adapter
    from augur.llm.hf import TransformersBackend
    from augur.llm.llamacpp import LlamaCppBackend

    cfg = FinetuneConfig(data=_data(tmp_path), out=tmp_path / "run", batch_size=4, epochs=1,
                         limit=4, device="cpu")
    adapter = finetune(cfg, log=lambda *_: None).adapter
    f16, q4 = export(adapter, tmp_path / "gguf", ["f16", "q4_0"])
    base = Path(json.loads((adapter / "adapter_config.json").read_text())
                ["base_model_name_or_path"])
    assert tuned_adapter(q4) == str(adapter.resolve())  # kept through quantization
    assert tuned_adapter(base) is None
    merged = merged_state(adapter, base)
    back, _ = TransformersBackend(f16).modules()
    for k, v in back.state_dict().items():
        np.testing.assert_allclose(v.float().numpy(), merged[k], rtol=0, atol=2e-3, err_msg=k)
    with LlamaCppBackend(q4) as llm:
        out = llm.generate([{"role": "user", "content": "Say hi."}], max_tokens=8,
                           temperature=0.0)
    assert out.completion_tokens > 0 and out.text.strip()
