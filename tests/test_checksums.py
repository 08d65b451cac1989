from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.checksums import (
    USCC_ALPHABET, email_problem, id_number_birth_date, id_number_check_char, id_number_gender,
    id_number_problem, make_id_number, make_uscc, org_code_check_char, phone_problem,
    uscc_check_char, uscc_problem,
)

TODAY = date(2024, 6, 1)

# ---------------------------------------------------------------- ID numbers

PUBLISHED_IDS = [
    "11010519491231002X",      # GB 11643 sample (Beijing Chaoyang, 1949-12-31, female)
    "440524188001010014",      # GB 11643 sample (Shantou, 1880) -- birth year before 1900
]


def test_published_id_number_is_valid():
    assert id_number_problem("11010519491231002X") is None
    assert id_number_problem("11010519491231002x") is None       # lower-case x is harmless
    assert id_number_gender("11010519491231002X") == "female"
    assert id_number_birth_date("11010519491231002X") == date(1949, 12, 31)


def test_published_1880_sample_has_right_check_digit_but_is_before_1900():
    assert id_number_check_char("44052418800101001") == "4"
    assert id_number_problem("440524188001010014") == "birthdate"


@pytest.mark.parametrize("value, reason", [
    ("", "length"),
    ("11010519491231002", "length"),
    ("11010519491231002XX", "length"),
    ("1101051949123100 X", "chars"),
    ("1101051949123100AX", "chars"),
    ("11010519491231002Y", "chars"),
    ("１１０１０５１９４９１２３１００２Ｘ", "chars"),     # full-width: caller normalises
    ("110105194902300020", "birthdate"),                  # 30 February
    ("110105194913310020", "birthdate"),                  # month 13
    ("110105189912310020", "birthdate"),                  # before 1900
    ("110105194912310021", "checksum"),
    ("11010519491231002 ", "chars"),
])
def test_invalid_id_numbers(value, reason):
    assert id_number_problem(value) == reason


def test_birth_date_in_the_future_is_invalid():
    tomorrow = make_id_number("330106", date(2024, 6, 2), 123)
    assert id_number_problem(tomorrow, today=TODAY) == "birthdate"
    assert id_number_problem(tomorrow, today=date(2024, 6, 2)) is None


def test_make_id_number_gender_parity():
    male = make_id_number("330106", date(1980, 5, 17), 124, gender="male")
    female = make_id_number("330106", date(1980, 5, 17), 123, gender="female")
    assert id_number_gender(male) == "male" and id_number_gender(female) == "female"
    assert male[14:17] == "123" and female[14:17] == "122"
    assert make_id_number("330106", date(1980, 5, 17), 0, gender="male")[14:17] == "001"
    assert id_number_problem(male) is None and id_number_problem(female) is None


def test_make_id_number_rejects_bad_input():
    with pytest.raises(ValueError):
        make_id_number("33010", date(1980, 1, 1), 1)
    with pytest.raises(ValueError):
        make_id_number("330106", date(1980, 1, 1), 1000)
    with pytest.raises(ValueError):
        make_id_number("330106", date(1980, 1, 1), 1, gender="m")


ids = st.builds(
    make_id_number,
    st.from_regex(r"[1-9][0-9]{5}", fullmatch=True),
    st.dates(date(1900, 1, 1), TODAY),
    st.integers(0, 999),
    st.sampled_from([None, "male", "female"]),
)


@given(ids)
def test_every_generated_id_number_is_valid(value):
    assert id_number_problem(value, today=TODAY) is None


@settings(max_examples=300)
@given(ids, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_changing_one_character_of_an_id_number_invalidates_it(value, pos, char):
    if value[pos] == char:
        return
    changed = value[:pos] + char + value[pos + 1:]
    assert id_number_problem(changed, today=TODAY) is not None


@given(ids)
def test_swapping_adjacent_digits_of_an_id_number_is_caught(value):
    # MOD 11-2 detects every transposition of two different adjacent characters
    for i in range(16):
        if value[i] != value[i + 1]:
            swapped = value[:i] + value[i + 1] + value[i] + value[i + 2:]
            assert id_number_problem(swapped, today=TODAY) is not None


# ---------------------------------------------------------------- USCC

def test_published_uscc_is_valid():
    assert uscc_problem("91350100M000100Y43") is None
    assert uscc_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize("value, reason", [
    ("91350100M000100Y4", "length"),
    ("91350100M000100Y433", "length"),
    ("91350100M000100Y44", "checksum"),
    ("91350100M000100Y34", "checksum"),
    ("91350100I000100Y43", "chars"),      # I, O, Z, S, V are not used
    ("91350100O000100Y43", "chars"),
    ("91350100S000100Y43", "chars"),
    ("91350100m000100y43", "chars"),      # lower case: caller upper-cases
])
def test_invalid_usccs(value, reason):
    assert uscc_problem(value) == reason


def test_check_character_31_becomes_0():
    # find a body whose weighted sum is a multiple of 31: its check is "0", not out of range
    body = "91330106MA2" + "000000"
    for c in USCC_ALPHABET:
        for d in USCC_ALPHABET:
            candidate = body[:15] + c + d
            if uscc_check_char(candidate) == "0":
                assert uscc_problem(candidate + "0") is None
                return
    pytest.fail("no body with check character 0 found")


def test_make_uscc_rejects_bad_body():
    with pytest.raises(ValueError):
        make_uscc("91350100M000100Y")
    with pytest.raises(ValueError):
        make_uscc("91350100I000100Y4")


@pytest.mark.parametrize("uscc", [
    "91350100M000100Y43",        # the GB 32100 sample
    "91330100716105852F",        # published codes of large companies
    "91440300708461136T",
])
def test_published_codes_and_their_organisation_codes(uscc):
    assert uscc_problem(uscc) is None
    # positions 9-17 are the GB 11714 organisation code, with its own MOD 11 check character
    assert org_code_check_char(uscc[8:16]) == uscc[16]


def test_org_code_check_char_special_values():
    assert org_code_check_char("00000000") == "0"          # 11 - 0 = 11 -> "0"
    with pytest.raises(ValueError):
        org_code_check_char("0000000")


usccs = st.builds(make_uscc, st.text(USCC_ALPHABET, min_size=17, max_size=17))


@given(usccs)
def test_every_generated_uscc_is_valid(value):
    assert uscc_problem(value) is None


@settings(max_examples=300)
@given(usccs, st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_changing_one_character_of_a_uscc_invalidates_it(value, pos, char):
    if value[pos] == char:
        return
    changed = value[:pos] + char + value[pos + 1:]
    assert uscc_problem(changed) == "checksum"


# ---------------------------------------------------------------- phone, e-mail

@pytest.mark.parametrize("value", [
    "13800138000", "19912345678", "+8613800138000", "+86 13800138000", "+86-13800138000",
    "010-12345678", "01012345678", "0571-8888888", "0571-88888888", "0571-88888888-123",
    "021-6666666-1",
])
def test_valid_phones(value):
    assert phone_problem(value) is None


@pytest.mark.parametrize("value", [
    "", "12800138000", "1380013800", "138001380000", "+85213800138000", "86-13800138000",
    "1-800-555-0100", "0571-888888", "0571-888888888", "571-88888888", "0571-88888888-1234567",
    "１３８００１３８０００", "13800138000 ", "abc",
])
def test_invalid_phones(value):
    assert phone_problem(value) == "format"


@pytest.mark.parametrize("value", [
    "zhang.san@example.com", "a@b.cn", "li_si+danbao@mail.example.com.cn", "x@example.xn--fiqs8s",
    "o'brien@example.org",
])
def test_valid_emails(value):
    assert email_problem(value) is None


@pytest.mark.parametrize("value, reason", [
    ("", "format"), ("zhangsan", "format"), ("zhang@", "format"), ("@example.com", "format"),
    ("a@@example.com", "format"), ("a@example", "format"), ("a@example.c", "format"),
    ("a@example.123", "format"), ("a..b@example.com", "format"), (".a@example.com", "format"),
    ("a@-example.com", "format"), ("a@example..com", "format"), ("a b@example.com", "format"),
    ("a" * 65 + "@example.com", "length"), ("a@" + "b" * 60 + "." + ("c" * 60 + ".") * 4 + "com",
                                            "length"),
])
def test_invalid_emails(value, reason):
    assert email_problem(value) == reason
