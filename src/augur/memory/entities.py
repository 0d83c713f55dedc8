"""Entity names to one key: "Sarah", "sarah-123", "Sarah Chen" and "S. Chen" all
resolve to the entity `sarah-chen` once it is known.

`normalize` is the store's index key for names and aliases (lower case, words
joined by '-', a trailing numeric id dropped). `EntityResolver` adds the
forms people actually write: a first name alone, an initial and surname, a
handle with a number, when they are unambiguous among the known entities.
"""

from __future__ import annotations

import re

from augur.memory.model import Entity

_WORD = re.compile(r"[a-z0-9]+")


def normalize(name: str) -> str:
    """'Sarah Chen' -> 'sarah-chen', 'sarah-123' -> 'sarah', '@S. Chen' -> 's-chen'."""
    words = _WORD.findall(name.lower())
    if len(words) > 1 and words[-1].isdigit():  # a handle's numeric suffix
        words = words[:-1]
    return "-".join(words)


def _forms(name: str) -> set[str]:
    """Every key a person's name may be written as."""
    words = normalize(name).split("-")
    forms = {"-".join(words)}
    if len(words) >= 2 and words[0].isalpha():
        forms.add(words[0])  # first name
        forms.add(f"{words[0][0]}-{words[-1]}")  # initial + surname
        forms.add(words[-1])  # surname
    return forms


class EntityResolver:
    """Maps written names to entity ids; a form shared by two entities maps to neither."""

    def __init__(self) -> None:
        self._keys: dict[str, set[str]] = {}

    def add(self, entity: Entity) -> EntityResolver:
        for text in (entity.id, entity.name, *entity.aliases):
            forms = _forms(text) if entity.kind == "person" else {normalize(text)}
            for form in forms:
                self._keys.setdefault(form, set()).add(entity.id)
        return self

    def resolve(self, name: str) -> str | None:
        """The entity id `name` refers to, or None when unknown or ambiguous."""
        for form in (normalize(name), *sorted(_forms(name))):
            ids = self._keys.get(form, set())
            if len(ids) == 1:
                return next(iter(ids))
        return None

    def keys(self, entity_id: str) -> list[str]:
        """The unambiguous forms of one entity (what the store indexes as aliases)."""
        return sorted(k for k, ids in self._keys.items() if ids == {entity_id})
