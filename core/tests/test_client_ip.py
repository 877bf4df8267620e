"""Which address a request comes from: forwarded headers count only from the proxies the settings trust."""

from django.test import RequestFactory

from core.clientip import client_ip

rf = RequestFactory()


def ip(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(rf.get("/", **extra))


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert ip("198.51.100.7", "1.2.3.4") == "198.51.100.7"


def test_the_right_most_untrusted_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::/32"]
    assert ip("10.1.2.3", "1.2.3.4, 198.51.100.7") == "198.51.100.7"  # the left one is the client's claim
    assert ip("10.1.2.3", "1.2.3.4, 198.51.100.7, 10.9.9.9") == "198.51.100.7"  # two proxies in a row
    assert ip("2001:db8::1", "[2001:db8:ffff::5]:1234, 203.0.113.9:443") == "203.0.113.9"
    assert ip("2001:db8::1", "2a00:1450::1") == "2a00:1450::1"
    assert ip("10.1.2.3") == "10.1.2.3"  # no header: the proxy itself
    assert ip("10.1.2.3", "not-an-address") == "10.1.2.3"
    assert ip("198.51.100.8", "10.0.0.1") == "198.51.100.8"  # a client is not a proxy because it says so
