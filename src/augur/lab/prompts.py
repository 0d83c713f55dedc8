"""The prompt registry: one file per prompt version in lab/prompts/, keyed by version.

Adding a variant is adding a file `prompts/<version>.md`; nothing else changes.
The file format (plain text, UTF-8):

    version: v2-mentor                      <- header lines "key: value"; `version`
    description: One line on what it tries     (must equal the file name) and
                                               `description` are required
    === system ===
    The system message, as many lines as needed.

    === user ===
    The user message, a template: {placeholders} are filled from the PromptContext
    (see context.PLACEHOLDERS for the names); write {{ and }} for literal braces.

Files are checked when loaded: a missing section, an unknown placeholder or a version
that does not match the file name fails loudly, naming the file.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass
from importlib import resources

from augur.errors import AugurError
from augur.lab.context import PLACEHOLDERS, PromptContext
from augur.llm.backend import Message

SECTION = re.compile(r"^=== (system|user) ===\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Prompt:
    version: str
    description: str
    system: str
    user: str

    def render(self, ctx: PromptContext) -> list[Message]:
        values = ctx.placeholders()
        return [{"role": "system", "content": self.system.format(**values)},
                {"role": "user", "content": self.user.format(**values)}]


def render_text(messages: list[Message]) -> str:
    """Messages as one readable text (the prompt.txt artifact of a cell)."""
    return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages) + "\n"


def parse_prompt(text: str, version: str, where: str = "<text>") -> Prompt:
    """A prompt from the file format above; `version` is the name it is registered under."""
    parts = SECTION.split(text)
    # split -> [header, "system", body, "user", body]
    if len(parts) != 5 or parts[1] != "system" or parts[3] != "user":
        raise AugurError(f"prompt file {where}: expected a '=== system ===' section followed by "
                         "a '=== user ===' section, each once; see augur/lab/prompts.py")
    header = {}
    for line in parts[0].splitlines():
        if line.strip():
            key, sep, value = line.partition(":")
            if not sep:
                raise AugurError(f"prompt file {where}: header line {line!r} is not 'key: value'")
            header[key.strip()] = value.strip()
    for key in ("version", "description"):
        if not header.get(key):
            raise AugurError(f"prompt file {where}: header needs '{key}: ...', got {header}")
    if header["version"] != version:
        raise AugurError(f"prompt file {where}: version {header['version']!r} must equal its "
                         f"file name {version!r}; rename the file or fix the header")
    prompt = Prompt(version, header["description"], parts[2].strip(), parts[4].strip())
    for part in (prompt.system, prompt.user):
        _check_placeholders(part, where)
    return prompt


def _check_placeholders(template: str, where: str) -> None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as e:
        raise AugurError(f"prompt file {where}: {e}; write {{{{ and }}}} for literal braces") \
            from None
    unknown = sorted(set(fields) - set(PLACEHOLDERS))
    if unknown:
        raise AugurError(f"prompt file {where}: unknown placeholders {unknown}; "
                         f"known ones: {', '.join(PLACEHOLDERS)}")


@functools.cache
def registry() -> dict[str, Prompt]:
    """version -> Prompt, for every file in the prompts folder."""
    folder = resources.files("augur.lab") / "prompts"
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".md"):
            version = entry.name.removesuffix(".md")
            found[version] = parse_prompt(entry.read_text("utf-8"), version, entry.name)
    return found


def known_versions() -> list[str]:
    return list(registry())


def get_prompt(version: str) -> Prompt:
    prompts = registry()
    if version not in prompts:
        raise AugurError(f"unknown prompt version {version!r}; known versions: "
                         f"{', '.join(prompts)} (add one as augur/lab/prompts/<version>.md)")
    return prompts[version]
