import pytest

from augur.memory.entities import EntityResolver, normalize
from augur.memory.model import Entity


def _person(name: str, *aliases: str) -> Entity:
    return Entity(id=normalize(name), name=name, kind="person", aliases=list(aliases))


@pytest.fixture
def resolver() -> EntityResolver:
    return EntityResolver().add(_person("Sarah Chen", "sarah-123", "S. Chen"))


@pytest.mark.parametrize("written", ["Sarah", "sarah-123", "Sarah Chen", "S. Chen", "sarah chen",
                                     "@sarah_chen", "SARAH", "Chen", "s.chen"])
def test_the_forms_people_write_resolve_to_one_entity(resolver, written):
    assert resolver.resolve(written) == "sarah-chen"


def test_normalize():
    assert normalize("Sarah Chen") == "sarah-chen"
    assert normalize("sarah-123") == "sarah"
    assert normalize("@S. Chen") == "s-chen"
    assert normalize("123") == "123"  # a bare number is a name, not a handle suffix


def test_a_form_shared_by_two_people_resolves_to_none(resolver):
    resolver.add(_person("Sarah Lee"))
    assert resolver.resolve("Sarah") is None
    assert resolver.resolve("sarah-99") is None
    assert resolver.resolve("Sarah Chen") == "sarah-chen"  # the full names still decide
    assert resolver.resolve("Sarah Lee") == "sarah-lee"
    resolver.add(_person("Sam Chen"))
    assert resolver.resolve("S. Chen") is None
    assert resolver.resolve("Chen") is None
    assert resolver.resolve("Sam Chen") == "sam-chen"


def test_an_unknown_full_name_does_not_borrow_a_first_name_or_surname(resolver):
    assert resolver.resolve("Sarah Lee") is None
    assert resolver.resolve("Tom Chen") is None
    assert resolver.resolve("T. Chen") is None
    assert resolver.resolve("nobody") is None
    assert resolver.resolve("") is None
    assert resolver.resolve("S") is None  # the initial alone is not a first name


def test_projects_and_topics_resolve_case_insensitively(resolver):
    resolver.add(Entity(id="atlas", name="Atlas", kind="project", aliases=["atlas"]))
    resolver.add(Entity(id="session-handling", name="session handling", kind="topic"))
    assert resolver.resolve("ATLAS") == "atlas"
    assert resolver.resolve("atlas") == "atlas"
    assert resolver.resolve("Session Handling") == "session-handling"
    assert resolver.resolve("session-handling") == "session-handling"
    assert resolver.resolve("handling") is None  # topics match on their whole name only


def test_keys_lists_only_the_unambiguous_forms(resolver):
    assert resolver.keys("sarah-chen") == ["chen", "s-chen", "sarah", "sarah-chen"]
    resolver.add(_person("Sarah Lee"))
    assert "sarah" not in resolver.keys("sarah-chen")
    assert "sarah" not in resolver.keys("sarah-lee")
