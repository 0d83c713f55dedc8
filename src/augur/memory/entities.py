"""Entity names to one key: "Sarah", "sarah-123", "Sarah Chen" and "S. Chen" all
resolve to the entity `sarah-chen` once it is known.

`normalize` is the store's index key for names and aliases (lower case, words
joined by '-', a trailing numeric id dropped). `EntityResolver` adds the
forms people actually write: a first name alone, an initial and surname, a
handle with a number, when they are unambiguous among the known entities.
Projects and topics match on their normalised name only, so case never matters.
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


def _initial_form(words: list[str]) -> str | None:
    """'s-chen' for ['sarah', 'chen'] (and for ['s', 'chen'])."""
    if len(words) >= 2 and words[0].isalpha():
        return f"{words[0][0]}-{words[-1]}"
    return None


def _forms(name: str) -> set[str]:
    """Every key a person's name may be written as."""
    words = normalize(name).split("-")
    forms = {"-".join(words)}
    if (initial := _initial_form(words)) is not None:
        forms.add(initial)  # initial + surname
        forms.add(words[-1])  # surname
        if len(words[0]) > 1:  # a first name, not the bare initial of "S. Chen"
            forms.add(words[0])
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
        """The entity id `name` refers to, or None when unknown or ambiguous.

        A written full name is tried as itself, then as initial + surname; it never falls
        back to its first name or surname alone, so an unknown "Sarah Lee" or "Tom Chen"
        does not turn into a known "Sarah Chen". A single word ("sarah", "Chen",
        "sarah-123") is matched against first names, surnames, handles and names.
        """
        key = normalize(name)
        if not key:
            return None
        tries = [key]
        if (initial := _initial_form(key.split("-"))) is not None:
            tries.append(initial)
        for form in tries:
            ids = self._keys.get(form)
            if ids:  # the strongest form that is known decides, ambiguous or not
                return next(iter(ids)) if len(ids) == 1 else None
        return None

    def keys(self, entity_id: str) -> list[str]:
        """The unambiguous forms of one entity (what the store indexes as aliases)."""
        return sorted(k for k, ids in self._keys.items() if ids == {entity_id})
