"""Fixtures for the live collector: scenarios on the moto server, and a proxy in front of it."""

from __future__ import annotations

import pytest

from tests.live.awsproxy import AwsProxy
from tests.live.scenario import classic


@pytest.fixture
def shop(aws):
    """The healthy reference architecture in us-east-1 of a clean moto server."""
    return classic()


@pytest.fixture
def proxy(aws):
    """An HTTP server in front of moto that can answer chosen operations with AWS errors."""
    with AwsProxy(upstream=aws) as p:
        yield p
