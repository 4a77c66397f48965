"""retry_forever: retries what it is told to, gives up on nothing else."""

import pytest

from pipeline.retry import backoff_delays, retry_forever


def test_backoff_doubles_up_to_the_cap() -> None:
    delay = backoff_delays(0.5, 4.0)
    assert [delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]


async def test_retries_until_the_operation_succeeds() -> None:
    calls = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("store down")
        return "written"

    result = await retry_forever(flaky, what="w", retry_on=(ConnectionError,), first=0.001)
    assert (result, len(calls)) == ("written", 3)


async def test_other_errors_propagate() -> None:
    async def broken() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        await retry_forever(broken, what="w", retry_on=(ConnectionError,), first=0.001)
