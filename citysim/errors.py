"""The one error shape of the city API: `{"error": <machine code>, "detail": <English text>}`.

Details are English on purpose: they are read by the client's log and by administrators, and the client
translates the machine code, not the detail (docs/decisions.md, "citysim").
"""

from __future__ import annotations

UNAUTHORIZED = "unauthorized"
BAD_REQUEST = "bad_request"
NOT_FOUND = "not_found"
CHALLENGE_INVALID = "challenge_invalid"
CERTIFICATE_UNTRUSTED = "certificate_untrusted"
PROOF_INVALID = "proof_invalid"
TOO_MANY_RECORDS = "too_many_records"
RATE_LIMITED = "rate_limited"
INTERNAL = "internal"


class ApiError(Exception):
    """Raised by a route or a check; the app turns it into the JSON error body with `status`."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail

    def body(self) -> dict[str, str]:
        return {"error": self.code, "detail": self.detail}
