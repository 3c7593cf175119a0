"""Notebook 14's saga, its coordinator and partner SIGKILLed at every named step, round after round, with exact counts.

The test runs the notebook's own code (its definition cells up to section 4, and the kill section's process helpers,
against the fault stack's RabbitMQ and a data folder of its own), so what is tested is what the learner reads. Each
round sends the notebook's thirteen cross-bank transfers again, without starting over, and plays the kill section: the
coordinator killed in a child process at each step it reaches and restarted, the partner answering ten commands,
the timers firing, the partner killed between reply and ack. After every round: every step killed once (exit by
SIGKILL); at the end, every saga terminal, money conserved across both banks, no negative balance, each bank
agreeing with its saga, every refund after a reservation and a failed credit.
"""

from __future__ import annotations

import json
import signal
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from helpers import config

pytestmark = pytest.mark.live

NOTEBOOK = config.PROJECT_ROOT / "notebooks" / "14_transfer_between_banks_saga.ipynb"
ROUNDS = 3
#: Section 5's process helpers, defined after the cells that run section 4.
PROCESS_HELPERS = ("def killed_at", "def killed_then_restarted")
PHASES = (["reserved, not recorded", "credit published, timer not armed", "timer armed, not recorded"],
          ["reply recorded, not acked", "confirmed, not recorded", "cancel published, timeout not recorded"],
          ["partner: replied, not acked"], ["refunded, not recorded"])


def notebook_definitions() -> dict[str, Any]:
    """Run the notebook's code cells up to the one that defines wait_for_timers, then the kill section's process helpers."""
    cells = ["".join(cell["source"]) for cell in json.loads(NOTEBOOK.read_text())["cells"] if cell["cell_type"] == "code"]
    end = next((n for n, source in enumerate(cells) if "def wait_for_timers" in source), None)
    helpers = [source for source in cells if any(name in source for name in PROCESS_HELPERS)]
    if end is None or len(helpers) != len(PROCESS_HELPERS):
        raise AssertionError("notebook 14 no longer defines wait_for_timers, killed_at and killed_then_restarted: "
                             "update this test")
    namespace: dict[str, Any] = {}
    for source in cells[:end + 1] + helpers:
        exec(compile(source, f"{NOTEBOOK.name} cell", "exec"), namespace)  # noqa: S102 - the course's own notebook
    return namespace


def play_round(nb: dict[str, Any], transfers: list[dict]) -> list[dict]:
    """Section 5 once, without starting over: every step killed once where it first happens; the kills."""
    nb["kills"] = []
    nb["killed_then_restarted"](PHASES[0], lambda: nb["run_coordinator"](new=transfers))
    nb["partner_process"](limit=10)
    nb["wait_for_timers"]()
    nb["killed_then_restarted"](PHASES[1], nb["run_coordinator"])
    nb["killed_then_restarted"](PHASES[2], nb["partner_process"])
    nb["killed_then_restarted"](PHASES[3], nb["run_coordinator"])
    return nb["kills"]


def test_saga_survives_its_processes_killed_at_every_step(spare_stack, fault_table) -> None:
    nb = notebook_definitions()
    nb["start_over"]()  # the definitions ran section 2's timer demo: an empty inbox, both banks at their opening
    money_before = nb["total"](nb["ours"]) + nb["total"](nb["theirs"])
    started, kills = [], []
    for round_number in range(1, ROUNDS + 1):
        transfers = [t | {"transfer_id": t["transfer_id"].replace("tx-", f"r{round_number}-")} for t in nb["transfers"]]
        started += [t["transfer_id"] for t in transfers]
        killed = play_round(nb, transfers)
        assert [k["killed at"] for k in killed] == [step for phase in PHASES for step in phase], killed
        assert all(k["exit code"] == -signal.SIGKILL for k in killed), f"round {round_number}: {killed}"
        kills += killed

    sagas = {t: nb["saga"](t) for t in started}
    events = {t: [e["type"] for e in nb["history"](t)] for t in started}
    statuses = Counter(s["status"] for s in sagas.values())
    here = dict(nb["ours"].execute("SELECT transfer_id, state FROM reservations").fetchall())
    there = dict(nb["theirs"].execute("SELECT transfer_id, state FROM credits").fetchall())
    balances = {account: Decimal(balance) for db in (nb["ours"], nb["theirs"])
                for account, balance in db.execute("SELECT account_id, balance FROM accounts")}
    money_after = nb["total"](nb["ours"]) + nb["total"](nb["theirs"])
    both = sum({"TransferCompleted", "FundsRefunded"} <= set(kinds) for kinds in events.values())
    fault_table.append({"fault": f"saga processes SIGKILLed at {len(kills) // ROUNDS} steps", "injected": len(kills),
                        "events in": len(started), "processed": sum(statuses[s] for s in nb["TERMINAL"]),
                        "redelivered": "-", "lost": f"{money_before - money_after} money", "duplicated": both})
    spare_stack.notes.append(f"saga: {len(started)} started, {statuses['completed']} completed, "
                             f"{statuses['compensated']} compensated, {statuses['rejected']} rejected, "
                             f"{len(started) - sum(statuses[s] for s in nb['TERMINAL'])} stuck; "
                             f"money before {money_before}, after {money_after}; {len(kills)} processes killed")

    assert set(statuses) <= nb["TERMINAL"], f"stuck sagas: {statuses}"
    assert money_after == money_before != Decimal("0"), "money conserved across both banks"
    assert min(balances.values()) >= 0, f"negative balances: { {a: b for a, b in balances.items() if b < 0} }"
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
