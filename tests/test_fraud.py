"""The one fraud rule set: what each rule catches at its boundary, edge-triggering, and snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpers import banking, fraud, workload

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def withdrawal(n: int, minutes: float, amount: str = "10.00", account: str = "ACC-001") -> banking.MoneyWithdrawn:
    """A card payment `minutes` after noon."""
    return banking.MoneyWithdrawn(f"w{n}", account, T0 + timedelta(minutes=minutes), banking.money(amount), "card: shop")


def test_a_burst_needs_five_withdrawals_within_ten_minutes_inclusive() -> None:
    four = [withdrawal(n, n * 2) for n in range(4)]
    assert fraud.alerts(four) == []
    fifth_on_the_edge = withdrawal(4, 10)  # 10 min after the first: still inside the window
    assert [a.rule for a in fraud.alerts([*four, fifth_on_the_edge])] == ["burst"]
    fifth_too_late = withdrawal(4, 10.01)
    assert fraud.alerts([*four, fifth_too_late]) == []


def test_a_long_burst_is_one_alert_and_a_later_burst_is_another() -> None:
    first = [withdrawal(n, n) for n in range(12)]
    later = [withdrawal(100 + n, 120 + n) for n in range(5)]
    assert [a.event_id for a in fraud.alerts([*first, *later])] == ["w4", "w104"]


def test_outflow_alerts_at_exactly_the_limit_within_the_hour() -> None:
    under = [withdrawal(1, 0, "500.00"), withdrawal(2, 59, "499.99")]
    assert fraud.alerts(under) == []
    at_limit = [withdrawal(1, 0, "500.00"), withdrawal(2, 60, "500.00")]
    assert [a.rule for a in fraud.alerts(at_limit)] == ["outflow"]
    apart = [withdrawal(1, 0, "500.00"), withdrawal(2, 61, "500.00")]
    assert fraud.alerts(apart) == []


def test_night_transfers_alert_before_six_only() -> None:
    def transfer(hour: int, minute: int) -> banking.TransferSent:
        at = T0.replace(hour=hour, minute=minute)
        return banking.TransferSent(f"t{hour}{minute}-out", "ACC-001", at, banking.money("20.00"), "ACC-002", f"t{hour}")

    assert [a.rule for a in fraud.alerts([transfer(5, 59)])] == ["night_transfer"]
    assert fraud.alerts([transfer(6, 0)]) == []


def test_accounts_have_separate_windows() -> None:
    mixed = [withdrawal(n, n, account="ACC-001" if n % 2 else "ACC-002") for n in range(8)]
    assert fraud.alerts(mixed) == []


def test_the_bank_raises_one_alert_per_injected_incident_rule_and_no_false_alarm() -> None:
    bank = workload.the_bank()
    alerts = fraud.alerts(bank.events)
    fraud_event_ids = {event_id.removesuffix("-out") for incident in bank.fraud for event_id in incident.event_ids}
    assert {a.event_id.removesuffix("-out") for a in alerts} <= fraud_event_ids
    assert {a.account_id for a in alerts} == {incident.account_id for incident in bank.fraud}


def test_a_detector_restored_from_a_snapshot_carries_on_identically() -> None:
    events = workload.the_bank().events
    whole = fraud.alerts(events)
    for cut in (0, 1031, 1035, 2000, len(events)):
        detector = fraud.FraudDetector()
        before = [a for e in events[:cut] for a in detector.observe(e)]
        restored = fraud.FraudDetector.restore(detector.snapshot())
        after = [a for e in events[cut:] for a in restored.observe(e)]
        assert before + after == whole, f"cut at {cut}"
