import hashlib
import hmac

import pytest

from deskclient import SignatureError, signature_header, verify_signature

BODY = b'{"id":"evt_1","type":"decision.created"}'
NOW = 1_764_561_600


def test_a_signed_body_verifies_with_its_secret_and_returns_the_signing_time():
    header = signature_header(BODY, ["whsec_a"], timestamp=NOW)

    assert verify_signature(BODY, header, "whsec_a", now=NOW + 10) == NOW


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(b"whsec_a", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()

    assert signature_header(BODY, ["whsec_a"], timestamp=NOW) == f"t={NOW},v1={expected}"


def test_during_rotation_either_secret_verifies():
    header = signature_header(BODY, ["whsec_new", "whsec_old"], timestamp=NOW)

    assert verify_signature(BODY, header, "whsec_old", now=NOW) == NOW
    assert verify_signature(BODY, header, "whsec_new", now=NOW) == NOW


@pytest.mark.parametrize(
    ("body", "secret", "now", "reason"),
    [
        (BODY + b" ", "whsec_a", NOW, "no signature matches"),
        (BODY, "whsec_b", NOW, "no signature matches"),
        (BODY, "whsec_a", NOW + 301, "more than 300s"),
        (BODY, "whsec_a", NOW - 301, "more than 300s"),
    ],
)
def test_a_changed_body_another_secret_or_an_old_timestamp_fails(body, secret, now, reason):
    header = signature_header(BODY, ["whsec_a"], timestamp=NOW)

    with pytest.raises(SignatureError, match=reason):
        verify_signature(body, header, secret, now=now)


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", f"t={NOW}", "v1=00", "garbage"])
def test_a_malformed_header_fails_with_a_reason(header):
    with pytest.raises(SignatureError, match="missing"):
        verify_signature(BODY, header, "whsec_a", now=NOW)


def test_a_tolerance_of_zero_skips_the_age_check():
    header = signature_header(BODY, ["whsec_a"], timestamp=NOW)

    assert verify_signature(BODY, header, "whsec_a", tolerance=0, now=NOW + 10**6) == NOW
