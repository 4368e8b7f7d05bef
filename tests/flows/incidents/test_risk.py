from flows.model import RiskLevel
from flows.incidents.risk import DEFAULT_SIGNALS, assess


def test_highest_signal_wins_and_reasons_are_the_signals_at_that_level():
    found = assess(DEFAULT_SIGNALS, ("rough_tone", "abuse", "threat", "sns_exposure"))
    assert found.level is RiskLevel.L3
    assert found.reasons == ("threat", "sns_exposure")
    assert not found.raised_by_reporter


def test_no_signal_is_l1():
    assert assess(DEFAULT_SIGNALS, ()).level is RiskLevel.L1


def test_one_sided_talk_over_30_minutes_is_at_least_l2():
    assert assess(DEFAULT_SIGNALS, ("rough_tone",), duration_minutes=30).level is RiskLevel.L1
    found = assess(DEFAULT_SIGNALS, ("rough_tone",), duration_minutes=31)
    assert found.level is RiskLevel.L2 and found.reasons == ("long_restraint",)


def test_danger_answer_makes_it_l4():
    found = assess(DEFAULT_SIGNALS, ("abuse",), danger="injury")
    assert found.level is RiskLevel.L4 and found.reasons == ("violence",)


def test_reporter_may_raise_but_never_lower():
    raised = assess(DEFAULT_SIGNALS, ("abuse",), requested=RiskLevel.L3)
    assert raised.level is RiskLevel.L3 and raised.assessed is RiskLevel.L2 and raised.raised_by_reporter
    lowered = assess(DEFAULT_SIGNALS, ("threat",), requested=RiskLevel.L1)
    assert lowered.level is RiskLevel.L3 and not lowered.raised_by_reporter


def test_unknown_behaviour_ids_are_ignored():
    assert assess(DEFAULT_SIGNALS, ("made_up",)).level is RiskLevel.L1
