"""Check digits and formats of Chinese identifiers, phone numbers and e-mail addresses.

Each ``*_problem`` function returns ``None`` for a valid value, otherwise a short reason key
(``"length"``, ``"chars"``, ``"birthdate"``, ``"checksum"``, ``"format"``) that callers turn into
a message (see ``core.fieldtypes``). The functions take the value as the caller normalised it:
they do not strip whitespace or change case (except that a lower-case ``x`` check character of an
ID number is accepted, as it is harmless).

* Resident ID number (居民身份证号码), GB 11643-1999: 6-digit address code (GB/T 2260), 8-digit
  birth date ``YYYYMMDD``, 3-digit sequence code (odd for men, even for women), and a check
  character computed with ISO 7064 MOD 11-2.
* Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from
  ``0123456789ABCDEFGHJKLMNPQRTUWXY``; registration authority, category, 6-digit region code,
  9-character organisation code, and a check character (MOD 31).
"""
from __future__ import annotations

import re
from datetime import date

__all__ = [
    "ID_WEIGHTS", "ID_CHECK_CHARS", "USCC_ALPHABET", "USCC_WEIGHTS",
    "id_number_check_char", "id_number_problem", "make_id_number",
    "id_number_birth_date", "id_number_gender",
    "uscc_check_char", "uscc_problem", "make_uscc", "org_code_check_char",
    "phone_problem", "email_problem",
]

# ---------------------------------------------------------------- resident ID numbers

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"          # indexed by (weighted sum mod 11)
_EARLIEST_BIRTH = date(1900, 1, 1)


def id_number_check_char(body17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    if len(body17) != 17 or not body17.isascii() or not body17.isdigit():
        raise ValueError(f"an ID number body is 17 digits, not {body17!r}")
    total = sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def id_number_problem(s: str, today: date | None = None) -> str | None:
    """None when ``s`` is a valid 18-character resident ID number, otherwise a reason key.

    Reasons, checked in this order: ``"length"`` (not 18 characters), ``"chars"`` (not 17 digits
    followed by a digit or X/x), ``"birthdate"`` (positions 7-14 are not a real date between
    1900-01-01 and ``today`` when given), ``"checksum"`` (wrong check character).
    """
    if not isinstance(s, str) or len(s) != 18:
        return "length"
    body, check = s[:17], s[17]
    if not (body.isascii() and body.isdigit()) or check not in "0123456789Xx":
        return "chars"
    try:
        birth = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return "birthdate"
    # the clock is injectable: without `today` the future is not checked here (the store checks it)
    if birth < _EARLIEST_BIRTH or (today is not None and birth > today):
        return "birthdate"
    if id_number_check_char(body) != check.upper():
        return "checksum"
    return None


def make_id_number(region: str, birth: date, seq: int, gender: str | None = None) -> str:
    """A valid ID number for a 6-digit ``region`` code, a birth date and a sequence 0-999.

    With ``gender`` ("male"/"female") the sequence's parity is adjusted to agree with it (odd for
    men, even for women): ``seq`` becomes ``seq`` or the number just below it.
    """
    if len(region) != 6 or not region.isascii() or not region.isdigit():
        raise ValueError(f"region must be a 6-digit code, not {region!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"seq must be 0-999, not {seq!r}")
    if gender is not None:
        if gender not in ("male", "female"):
            raise ValueError(f"gender must be 'male' or 'female', not {gender!r}")
        want = 1 if gender == "male" else 0
        if seq % 2 != want:
            seq = seq - 1 if seq > 0 else 1      # 0 is even; only "male" can get here with 0
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    if len(body) != 17:
        raise ValueError(f"birth year must have 4 digits, not {birth!r}")
    return body + id_number_check_char(body)


def id_number_birth_date(s: str) -> date:
    """The birth date encoded in a (valid) ID number."""
    return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def id_number_gender(s: str) -> str:
    """"male" or "female" from the parity of the 17th digit of a (valid) ID number."""
    return "male" if int(s[16]) % 2 else "female"


# ---------------------------------------------------------------- unified social credit codes

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"     # 31 characters: no I O Z S V
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}


def uscc_check_char(body17: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    if len(body17) != 17 or any(c not in _USCC_VALUE for c in body17):
        raise ValueError(f"a USCC body is 17 characters of {USCC_ALPHABET}, not {body17!r}")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(s: str) -> str | None:
    """None when ``s`` is a valid unified social credit code, otherwise a reason key.

    Reasons: ``"length"`` (not 18 characters), ``"chars"`` (a character outside the GB 32100
    alphabet, including lower-case letters), ``"checksum"`` (wrong check character). The
    registration authority, category and region parts are not checked beyond the alphabet.
    """
    if not isinstance(s, str) or len(s) != 18:
        return "length"
    if any(c not in _USCC_VALUE for c in s):
        return "chars"
    if uscc_check_char(s[:17]) != s[17]:
        return "checksum"
    return None


def make_uscc(body17: str) -> str:
    """The 18-character code made of ``body17`` and its check character."""
    return body17 + uscc_check_char(body17)


def org_code_check_char(body8: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body.

    The organisation code (组织机构代码) is positions 9-17 of a USCC; sample data uses it to make
    realistic codes.
    """
    if len(body8) != 8 or not body8.isascii() or not body8.isalnum() or not body8.upper() == body8:
        raise ValueError(f"an organisation code body is 8 digits or capitals, not {body8!r}")
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body8, weights))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


# ---------------------------------------------------------------- phone numbers, e-mail

_MOBILE = re.compile(r"(?:\+86[ -]?)?1[3-9]\d{9}", re.ASCII)
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(?:-\d{1,6})?", re.ASCII)


def phone_problem(s: str) -> str | None:
    """None for a mainland mobile or landline number, otherwise ``"format"``.

    Mobile: ``1[3-9]`` and 9 more digits, optionally preceded by ``+86`` (and a space or hyphen).
    Landline: ``0`` + 2-3 digit area code, optional ``-``, 7-8 digits, optional ``-`` extension of
    1-6 digits.
    """
    if not isinstance(s, str):
        return "format"
    if _MOBILE.fullmatch(s) or _LANDLINE.fullmatch(s):
        return None
    return "format"


_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*",
                          re.ASCII)
_EMAIL_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
_EMAIL_TLD = re.compile(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}", re.ASCII)


def email_problem(s: str) -> str | None:
    """None for a plausible e-mail address ``local@domain.tld``, otherwise a reason key.

    ``"length"``: over 254 characters, or a local part over 64. ``"format"``: anything else that
    is not a dot-atom local part, ``@``, and a domain of at least two labels whose last one is
    alphabetic (or an IDNA ``xn--`` label). Quoted local parts and IP-literal domains, legal but
    never seen in practice, are rejected.
    """
    if not isinstance(s, str) or s.count("@") != 1:
        return "format"
    if len(s) > 254:
        return "length"
    local, domain = s.split("@")
    if len(local) > 64:
        return "length"
    if not _EMAIL_LOCAL.fullmatch(local):
        return "format"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_EMAIL_LABEL.fullmatch(x) for x in labels):
        return "format"
    if not _EMAIL_TLD.fullmatch(labels[-1]):
        return "format"
    return None
