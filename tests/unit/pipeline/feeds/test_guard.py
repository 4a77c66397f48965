import pytest

from pipeline.feeds.guard import FetchRefused, address_refusal, check_url


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6 is the IPv4 address
        ("100.64.0.1", "not a public"),  # carrier-grade NAT
    ],
)
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    reason = address_refusal(address)
    assert reason is not None and kind in reason


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(address) is None


def test_check_url_refuses_ip_literals_and_other_schemes() -> None:
    with pytest.raises(FetchRefused, match="loopback"):
        check_url("http://127.0.0.1:8080/feed", allow_private=False)
    with pytest.raises(FetchRefused, match="private"):
        check_url("http://[::ffff:10.0.0.1]/", allow_private=False)
    with pytest.raises(FetchRefused, match="scheme"):
        check_url("file:///etc/passwd", allow_private=True)
    check_url("http://127.0.0.1:8080/feed", allow_private=True)
    check_url("https://example.com/feed", allow_private=False)  # names: checked on resolve
