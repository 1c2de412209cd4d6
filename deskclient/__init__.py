"""A retailer's side of the desk: webhook signature checks (and, beside them, the API client).

Standard library only, so a receiver can copy this package or install it without the desk.
"""

from deskclient.signatures import (
    SIGNATURE_HEADER,
    SignatureError,
    signature_header,
    verify_signature,
)

__all__ = ["SIGNATURE_HEADER", "SignatureError", "signature_header", "verify_signature"]
