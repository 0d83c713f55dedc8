"""A lean forward pass of a BERT encoder, from a loaded transformers BertModel's weights.

Why: transformers' BertModel spends about 17 ms of Python dispatch on one short
query on this CPU, most of SEARCH's 20 ms budget; the same arithmetic as a
handful of torch functional calls takes about a millisecond. The numbers are the
model's own (tests compare it with transformers to 1e-5); only the framework
overhead goes. Covers what BERT-style sentence encoders use: absolute positions,
post-norm layers, GELU or ReLU feed-forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class _Layer:
    qkv_w: torch.Tensor  # (3C, C): query, key and value fused into one matmul
    qkv_b: torch.Tensor
    out_w: torch.Tensor
    out_b: torch.Tensor
    ln1: tuple[torch.Tensor, torch.Tensor]
    up_w: torch.Tensor
    up_b: torch.Tensor
    down_w: torch.Tensor
    down_b: torch.Tensor
    ln2: tuple[torch.Tensor, torch.Tensor]


class LeanBert:
    """`last_hidden_state` of a BertModel for (input_ids, attention_mask) batches."""

    def __init__(self, model) -> None:
        cfg = model.config
        if getattr(cfg, "position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"LeanBert: position_embedding_type "
                             f"{cfg.position_embedding_type!r} is not supported; "
                             "expected 'absolute' (use the transformers model instead)")
        if cfg.hidden_act not in ("gelu", "relu"):
            raise ValueError(f"LeanBert: hidden_act {cfg.hidden_act!r} is not supported; "
                             "expected 'gelu' or 'relu'")
        sd = {k: v.detach() for k, v in model.state_dict().items()}
        self.heads = int(cfg.num_attention_heads)
        self.eps = float(cfg.layer_norm_eps)
        self.act = F.gelu if cfg.hidden_act == "gelu" else F.relu
        self.word = sd["embeddings.word_embeddings.weight"]
        self.pos = sd["embeddings.position_embeddings.weight"]
        self.type0 = sd["embeddings.token_type_embeddings.weight"][0]
        self.ln0 = (sd["embeddings.LayerNorm.weight"], sd["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(int(cfg.num_hidden_layers)):
            p = f"encoder.layer.{i}."
            a = p + "attention.self."
            self.layers.append(_Layer(
                qkv_w=torch.cat([sd[a + n + ".weight"] for n in ("query", "key", "value")]),
                qkv_b=torch.cat([sd[a + n + ".bias"] for n in ("query", "key", "value")]),
                out_w=sd[p + "attention.output.dense.weight"],
                out_b=sd[p + "attention.output.dense.bias"],
                ln1=(sd[p + "attention.output.LayerNorm.weight"],
                     sd[p + "attention.output.LayerNorm.bias"]),
                up_w=sd[p + "intermediate.dense.weight"], up_b=sd[p + "intermediate.dense.bias"],
                down_w=sd[p + "output.dense.weight"], down_b=sd[p + "output.dense.bias"],
                ln2=(sd[p + "output.LayerNorm.weight"], sd[p + "output.LayerNorm.bias"]),
            ))

    @torch.inference_mode()
    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        b, t = input_ids.shape
        c = self.word.shape[1]
        h = self.heads
        x = self.word[input_ids] + self.pos[:t] + self.type0
        x = F.layer_norm(x, (c,), *self.ln0, eps=self.eps)
        # Padding keys get -inf-like bias; an all-ones mask needs none (the one-query path).
        bias = None
        if not bool(attention_mask.all()):
            bias = ((1.0 - attention_mask[:, None, None, :].to(x.dtype))
                    * torch.finfo(x.dtype).min)
        for ly in self.layers:
            qkv = F.linear(x, ly.qkv_w, ly.qkv_b).view(b, t, 3, h, c // h).permute(2, 0, 3, 1, 4)
            att = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=bias)
            att = att.transpose(1, 2).reshape(b, t, c)
            x = F.layer_norm(F.linear(att, ly.out_w, ly.out_b) + x, (c,), *ly.ln1, eps=self.eps)
            up = self.act(F.linear(x, ly.up_w, ly.up_b))
            x = F.layer_norm(F.linear(up, ly.down_w, ly.down_b) + x, (c,), *ly.ln2, eps=self.eps)
        return x
