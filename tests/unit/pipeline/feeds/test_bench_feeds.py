from pipeline.bench.feeds import _rss, token_f1
from pipeline.feeds.parse import parse_feed


def test_token_f1() -> None:
    assert token_f1("The cat sat", "the cat sat") == 1.0
    assert token_f1("", "") == 1.0
    assert token_f1("dog", "cat") == 0.0
    # precision 2/3, recall 2/4: F1 = 2·(2/3)·(1/2)/(2/3 + 1/2) = 4/7
    assert abs(token_f1("a b x", "a b c d") - 4 / 7) < 1e-12


def test_generated_bench_feed_parses() -> None:
    feed = parse_feed(_rss("http://127.0.0.1:1", feed=3, items=50, pages=81))
    assert len(feed.items) == 50
    assert feed.items[0].link == "http://127.0.0.1:1/page/69/150"  # 150 % 81
