"""UPU S10 tracking codes (`AA123456785BR`): two service letters, eight serial digits, a check digit, the country.

The check digit weighs the serial by 8 6 4 2 3 5 9 7; it is 11 minus the sum modulo 11, with 10 read as 0 and 11
as 5. Validating it catches a mistyped code before a carrier is asked about a parcel that does not exist.
"""

import re

_S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def check_digit(serial: str) -> int:
    """The S10 check digit of an eight-digit serial."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError("an S10 serial has eight digits")
    digit = 11 - sum(int(d) * w for d, w in zip(serial, _WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(digit, digit)


def is_valid(code: str) -> bool:
    """Whether `code` is a well-formed S10 code whose check digit is right."""
    found = _S10.match(code.strip().upper())
    return found is not None and check_digit(found.group(2)) == int(found.group(3))


def normalise(code: str) -> str:
    """A tracking code as carriers file it: upper case, no spaces or dashes."""
    return re.sub(r"[\s.-]", "", code).upper()
