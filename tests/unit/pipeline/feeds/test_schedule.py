import random

import pytest

from pipeline.feeds.schedule import next_poll_delay, parse_interval


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("5m", 300), ("1.5h", 5400), ("1d", 86400)]
)
def test_parse_interval(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "5 minutes", "-1m", "0s", "m"])
def test_parse_interval_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="interval"):
        parse_interval(text)


def test_backoff_doubles_up_to_the_cap_and_jitter_stays_in_bounds() -> None:
    rng = random.Random(7)
    no_jitter = [next_poll_delay(60, n, jitter=0.0, max_backoff=600, rng=rng) for n in range(0, 7)]
    assert no_jitter == [60, 60, 120, 240, 480, 600, 600]
    delays = [next_poll_delay(100, 0, jitter=0.1, max_backoff=600, rng=rng) for _ in range(200)]
    assert all(90 <= d <= 110 for d in delays)
    assert max(delays) - min(delays) > 10  # it does spread
