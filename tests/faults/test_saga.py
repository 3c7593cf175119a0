"""Notebook 14's saga, its coordinator crashed at every named step, round after round, with exact counts.

The test runs the notebook's own code (its definition cells, up to section 4, against the fault stack's RabbitMQ
and a data folder of its own), so what is tested is what the learner reads. Each round starts the seeded bank's
twelve cross-bank transfers again, arms all four crash points, and plays the notebook's phases: the partner
answers eight commands and goes quiet, the timers fire, the partner comes back. After every round: every saga
terminal, money conserved across both banks, each bank agreeing with its saga, every refund after a reservation.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from helpers import config

pytestmark = pytest.mark.live

NOTEBOOK = config.PROJECT_ROOT / "notebooks" / "14_transfer_between_banks_saga.ipynb"
ROUNDS = 3


def notebook_definitions() -> dict[str, Any]:
    """Run the notebook's code cells up to the one that defines wait_for_timers; return their namespace."""
    cells = [cell for cell in json.loads(NOTEBOOK.read_text())["cells"] if cell["cell_type"] == "code"]
    namespace: dict[str, Any] = {}
    for cell in cells:
        source = "".join(cell["source"])
        exec(compile(source, f"{NOTEBOOK.name} cell", "exec"), namespace)  # noqa: S102 - the course's own notebook
        if "def wait_for_timers" in source:
            return namespace
    raise AssertionError("notebook 14 no longer defines wait_for_timers: update this test")


def supervised(nb: dict[str, Any], new: list[dict] = ()) -> int:
    """Run the coordinator, restarting it after each crash, as a supervisor would; return the crashes."""
    crashed = 0
    while True:
        report = nb["run_coordinator"](new)
        crashes = sum(n for key, n in report.items() if key.startswith("crashed"))
        crashed += crashes
        if not crashes:
            return crashed


def test_saga_survives_the_coordinator_crashing_at_every_step(spare_stack, fault_table) -> None:
    nb = notebook_definitions()
    money_before = nb["total"](nb["ours"]) + nb["total"](nb["theirs"])
    started, crashed = [], 0
    for round_number in range(1, ROUNDS + 1):
        transfers = [t | {"transfer_id": t["transfer_id"].replace("tx-", f"r{round_number}-")} for t in nb["transfers"]]
        started += [t["transfer_id"] for t in transfers]
        nb["armed"].update(nb["CRASH_POINTS"])
        crashed += supervised(nb, transfers)
        nb["run_partner"](limit=8)
        crashed += supervised(nb)
        nb["wait_for_timers"]()
        crashed += supervised(nb)
        nb["run_partner"]()
        crashed += supervised(nb)
        assert not nb["armed"], f"round {round_number}: crash points never reached: {nb['armed']}"

    sagas = {t: nb["saga"](t) for t in started}
    events = {t: [e["type"] for e in nb["history"](t)] for t in started}
    statuses = Counter(s["status"] for s in sagas.values())
    here = dict(nb["ours"].execute("SELECT transfer_id, state FROM reservations").fetchall())
    there = dict(nb["theirs"].execute("SELECT transfer_id, state FROM credits").fetchall())
    money_after = nb["total"](nb["ours"]) + nb["total"](nb["theirs"])
    both = sum({"TransferCompleted", "FundsRefunded"} <= set(kinds) for kinds in events.values())
    fault_table.append({"fault": "saga coordinator crashed at 4 steps", "injected": crashed, "events in": len(started),
                        "processed": sum(statuses[s] for s in nb["TERMINAL"]), "redelivered": "-",
                        "lost": f"{money_before - money_after} money", "duplicated": both})
    spare_stack.notes.append(f"saga: {len(started)} started, {statuses['completed']} completed, "
                             f"{statuses['compensated']} compensated, {statuses['rejected']} rejected, "
                             f"{len(started) - sum(statuses[s] for s in nb['TERMINAL'])} stuck; "
                             f"money before {money_before}, after {money_after}; {crashed} crashes")

    assert crashed == ROUNDS * len(nb["CRASH_POINTS"]), "every crash point fired once per round"
    assert set(statuses) <= nb["TERMINAL"], f"stuck sagas: {statuses}"
    assert money_after == money_before != Decimal("0"), "money conserved across both banks"
    assert statuses["completed"] > 0 and statuses["compensated"] > 0, "both outcomes exercised"
    for transfer_id, s in sagas.items():
        kinds = events[transfer_id]
        assert not {"TransferCompleted", "FundsRefunded"} <= set(kinds), f"{transfer_id} completed and refunded"
        if "FundsRefunded" in kinds:
            assert kinds.index("FundsReserved") < kinds.index("FundsRefunded"), f"{transfer_id}: refund before reserve"
            assert {"CreditRefused", "CreditCancelled"} & set(kinds), f"{transfer_id}: refunded without a failed credit"
        credited = there.get(transfer_id) == "credited"
        assert (here.get(transfer_id), credited) == {"completed": ("confirmed", True), "compensated": ("refunded", False),
                                                     "rejected": (None, False)}[s["status"]], f"{transfer_id}: {s}"
    nb["partner_channel"].connection.close()
