"""Bad input is refused by every backend before any model loads or any request is sent."""

from __future__ import annotations

import pytest

from augur.llm.hf import TransformersBackend
from augur.llm.llamacpp import LlamaCppBackend
from augur.llm.openai_compat import OpenAIBackend


@pytest.fixture(params=["llamacpp", "transformers", "openai"])
def unloaded(request, smollm2):
    if request.param == "llamacpp":
        return LlamaCppBackend(smollm2)
    if request.param == "transformers":
        return TransformersBackend(smollm2)
    return OpenAIBackend("http://127.0.0.1:9/v1", "none")  # port 9: nothing listens


@pytest.mark.parametrize("messages, where", [
    ([], "messages: expected at least one"),
    ([{"role": "user", "content": "hi"}, {"role": "robot", "content": "hi"}], r"messages\[1\]"),
    ([{"role": "user", "content": None}], r"messages\[0\]"),
    (["hi"], r"messages\[0\]"),
])
def test_bad_messages_raise_value_error_naming_the_message(unloaded, messages, where):
    with pytest.raises(ValueError, match=where):
        unloaded.generate(messages, max_tokens=4)
    assert getattr(unloaded, "_llm", None) is None and getattr(unloaded, "_model", None) is None
