"""The report's plain carrier advice: said only where the counts allow it."""

from decimal import Decimal

from proativo.reporting.reports import carrier_advice


def scopes(**rows: tuple[int, int]) -> dict[str, dict[str, Decimal]]:
    """CARRIER#<carrier>#<UF> counters from carrier_UF=(parcels, late)."""
    return {
        f"CARRIER#{key.rsplit('_', 1)[0]}#{key.rsplit('_', 1)[1]}": {"parcels": Decimal(p), "late": Decimal(late)}
        for key, (p, late) in rows.items()
    }


def test_the_carrier_late_least_often_in_a_state_is_recommended_with_its_numbers() -> None:
    advice = carrier_advice(scopes(correios_RJ=(60, 12), jadlog_RJ=(40, 2), correios_SP=(80, 4)))
    assert advice == [
        "for RJ, jadlog was late 4.0 times less often than correios (5% of 40 parcels vs 20% of 60): "
        "prefer jadlog there"
    ]


def test_nothing_is_said_without_enough_parcels_or_a_real_difference() -> None:
    assert carrier_advice(scopes(correios_RJ=(60, 12), jadlog_RJ=(19, 0))) == []  # 19 parcels: too few
    assert carrier_advice(scopes(correios_RJ=(60, 6), jadlog_RJ=(40, 3))) == []  # 10 % vs 7.5 %: not worth saying
    assert carrier_advice(scopes(correios_BA=(30, 6), jadlog_BA=(25, 0))) == [
        "for BA, jadlog was never late (25 parcels) while correios was late on 20% of 30: prefer jadlog there"
    ]
