"""Events: the schema, the vocabularies, the persona simulator and log importers."""

from augur.events.schema import Artifact, Event, EventValidationError, Labels, SimProbs

__all__ = ["Artifact", "Event", "EventValidationError", "Labels", "SimProbs"]
