"""The cluster's nodes listen on loopback only, like the single-node stack (tests/test_security.py)."""

from __future__ import annotations

import pytest

from helpers import config
from tooling.stack import cluster, probe

pytestmark = [pytest.mark.live, pytest.mark.usefixtures("healthy_cluster")]


@pytest.mark.parametrize("node", cluster.nodes("all"))
def test_every_cluster_port_listens_on_loopback_only(node: str) -> None:
    for port in cluster.ports(config.load(), node):
        addresses = probe.listening_addresses(port)
        assert addresses, f"nothing listens on {node}'s port {port}"
        assert addresses <= probe.LOOPBACK_ADDRESSES, f"{node} port {port} listens beyond loopback: {addresses}"
