"""Merge a LoRA adapter into its base model and write GGUF files llama.cpp serves.

    export(Path("runs/q/adapter"), Path("runs/q/gguf"), ["f16", "q8_0", "q4_0"])
    -> [runs/q/gguf/model-f16.gguf, model-q8_0.gguf, model-q4_0.gguf]

The f16 file is written here with the gguf package: every key of the base GGUF
(architecture, tokenizer, chat template) is copied, and every tensor comes from the
merged model, renamed to llama.cpp's names and, for the attention's query and key
projections, row-permuted as llama.cpp's own converter does (transformers undoes
that permutation when it reads a GGUF, so the merged weights are in its order).
q8_0 and q4_0 are quantized from the f16 file by llama.cpp itself
(llama_model_quantize). q4_0 rather than a k-quant: SmolLM2's 576-wide rows are not
a multiple of the k-quants' 256-value blocks, so llama.cpp would fall back anyway.

The base's own weights come from its GGUF: when that is SmolLM2's Q4_1 file, "f16"
means the dequantized Q4_1 weights plus the adapter's update, stored at 16 bits.
Every file is written beside its final name and renamed into place when complete.
"""

from __future__ import annotations

import ctypes
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from augur.llm.backend import BackendError

TYPES = {"f16": 1, "q8_0": 7, "q4_0": 2}  # llama.cpp's LLAMA_FTYPE_MOSTLY_* values
# Written into every exported file (llama.cpp ignores unknown keys; quantizing keeps
# them): where its adapter came from, so a server knows to ask the model with the
# brief zero-shot prompt it was trained on rather than with worked examples.
ADAPTER_KEY = "augur.adapter"


def tuned_adapter(path: Path) -> str | None:
    """The adapter an exported GGUF file was merged from; None for any other GGUF."""
    import gguf

    field = gguf.GGUFReader(path).get_field(ADAPTER_KEY)
    return field.contents() if field is not None else None


def export(adapter: Path, out: Path, types: list[str] | tuple[str, ...] = ("f16",)) -> list[Path]:
    adapter, out = Path(adapter), Path(out)
    bad = [t for t in types if t not in TYPES]
    if bad:
        raise ValueError(f"--types: expected some of {', '.join(TYPES)}, got {', '.join(bad)}")
    config_file = adapter / "adapter_config.json"
    if not config_file.is_file():
        raise ValueError(f"--adapter {adapter}: no adapter_config.json there; pass the "
                         "adapter/ folder of a finished `augur llm finetune` run")
    base = Path(json.loads(config_file.read_text())["base_model_name_or_path"])
    if base.suffix != ".gguf":
        raise ValueError(f"{config_file}: the base model {base} is not a GGUF file; export "
                         "writes GGUF by copying the base GGUF's metadata, so fine-tune "
                         "from a .gguf base")
    out.mkdir(parents=True, exist_ok=True)
    f16 = out / "model-f16.gguf"
    write_gguf(base, merged_state(adapter, base), f16, adapter=str(adapter.resolve()))
    written = [f16] if "f16" in types else []
    for t in types:
        if t != "f16":
            written.append(quantize(f16, out / f"model-{t}.gguf", t))
    if "f16" not in types:
        f16.unlink()
    return written


def merged_state(adapter: Path, base: Path) -> dict[str, Any]:
    """The base model with the adapter's update added in (W + B A alpha/r), as numpy."""
    from peft import PeftModel

    from augur.llm.hf import TransformersBackend

    model, _ = TransformersBackend(base).modules()
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    return {k: v.detach().float().numpy() for k, v in merged.state_dict().items()}


def permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's row order for a query or key projection (convert_hf_to_gguf.py)."""
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def write_gguf(base: Path, state: dict[str, np.ndarray], path: Path,
               adapter: str | None = None) -> Path:
    import gguf

    reader = gguf.GGUFReader(base)
    arch = reader.get_field(gguf.Keys.General.ARCHITECTURE).contents()
    if arch != "llama":
        raise BackendError(f"{base}: architecture {arch!r}; export knows llama's tensor "
                           "layout only (SmolLM2 and other Llama models)")
    n_head = reader.get_field(f"{arch}.attention.head_count").contents()
    n_kv = reader.get_field(f"{arch}.attention.head_count_kv").contents()
    n_blocks = reader.get_field(f"{arch}.block_count").contents()
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_blocks)
    by_gguf: dict[str, np.ndarray] = {}
    for hf_name, w in state.items():
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            continue
        if hf_name.endswith("q_proj.weight"):
            w = permute(w, n_head)
        elif hf_name.endswith("k_proj.weight"):
            w = permute(w, n_kv)
        by_gguf[name] = w
    tmp = path.with_name(path.name + ".tmp")
    writer = gguf.GGUFWriter(tmp, arch=arch, endianess=reader.endianess)
    for field in reader.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        if field.name == gguf.Keys.General.FILE_TYPE:
            continue
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), kind, sub_type=sub)
    writer.add_file_type(TYPES["f16"])
    if adapter is not None:
        writer.add_string(ADAPTER_KEY, adapter)
    for t in reader.tensors:
        if t.name not in by_gguf:
            raise BackendError(f"{base}: tensor {t.name} has no counterpart in the merged "
                               "model; the adapter does not belong to this base")
        w = by_gguf[t.name]
        want = tuple(int(d) for d in reversed(t.shape.tolist()))  # GGUF lists dims inner-first
        if w.shape != want:
            raise BackendError(f"{t.name}: merged shape {w.shape}, base {want}")
        # 1-D tensors (norms) stay float32, as llama.cpp's converter keeps them.
        writer.add_tensor(t.name, w.astype(np.float16 if w.ndim > 1 else np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(tmp, path)
    return path


def quantize(src: Path, dst: Path, kind: str) -> Path:
    """`src` (f16 GGUF) quantized by llama.cpp to `kind` (q8_0, q4_0)."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = TYPES[kind]
    params.nthread = 0  # llama.cpp's default: every core
    tmp = dst.with_name(dst.name + ".tmp")
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(tmp).encode(),
                                        ctypes.byref(params))
    if rc != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise BackendError(f"llama.cpp could not quantize {src} to {kind} (code {rc})")
    os.replace(tmp, dst)
    return dst
