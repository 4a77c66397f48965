"""Server-sent event framing and boolean query parameters."""

from pipeline.web.http import sse_message, truthy


def test_an_event_is_id_event_and_one_data_line() -> None:
    message = sse_message(b'{"a":1}', event="article", event_id="1.5-2")
    assert message == b'id: 1.5-2\nevent: article\ndata: {"a":1}\n\n'
    assert sse_message(b"{}") == b"data: {}\n\n"


def test_truthy_reads_the_usual_spellings_and_falls_back() -> None:
    assert truthy("0", True) is False
    assert truthy("Yes", False) is True
    assert truthy(None, True) is True
    assert truthy("maybe", False) is False
