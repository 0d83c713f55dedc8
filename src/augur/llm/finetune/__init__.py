"""LoRA fine-tuning of a small causal LM, one generic command for every task:
chat rows in, a safetensors adapter out, merged and exported to GGUF for llama.cpp.

    config.py   FinetuneConfig: every knob, checked before anything loads
    data.py     chat rows (JSON Lines) -> token ids with the loss on the answer only
    train.py    the training loop: resumable checkpoints, progress, atomic outputs
    export.py   merge an adapter into its base and write GGUF (f16, q8_0, q4_0)
    cli.py      `augur llm finetune` and `augur llm export`
"""
