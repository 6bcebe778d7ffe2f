"""Path trace: can A reach B on a port, hop by hop, on the snapshot alone."""

from assistant.trace.endpoints import Endpoint, Resolver
from assistant.trace.model import (
    NOT_REACHABLE,
    REACHABLE,
    UNDECIDED,
    EndpointInfo,
    Hop,
    Trace,
    verdict_of,
)
from assistant.trace.tracer import Tracer, trace

__all__ = [
    "NOT_REACHABLE",
    "REACHABLE",
    "UNDECIDED",
    "Endpoint",
    "EndpointInfo",
    "Hop",
    "Resolver",
    "Trace",
    "Tracer",
    "trace",
    "verdict_of",
]
