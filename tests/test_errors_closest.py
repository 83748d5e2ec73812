"""The library's one "did you mean": a name in another case first, else the closest spelling."""

from adaptive.errors import closest_name, same_as_read, unknown_key


def test_the_same_name_in_another_case_is_preferred_to_a_close_spelling() -> None:
    assert closest_name("MATH-7A", ["math-7a", "math-7b", "MATH-7B"]) == "math-7a"


def test_a_misspelling_finds_its_closest_and_nothing_far_is_offered() -> None:
    assert closest_name("forget", ["forgets", "fixed"]) == "forgets"
    assert closest_name("zzz", ["forgets", "fixed"]) is None


def test_unknown_key_names_the_key_its_match_and_every_valid_one() -> None:
    text = unknown_key("Forgets", ["fixed", "forgets"])
    assert text == "unknown key 'Forgets' (did you mean 'forgets'?); valid keys: fixed, forgets"


def test_a_look_alike_letter_or_lost_leading_zeros_find_the_name_meant() -> None:
    """The trial of stop 39: 'g3.NS.l' (a letter l) was offered 'g3.NS.4'; '4501' (a
    spreadsheet's loss of the zeros) nothing."""
    skills = [f"g3.NS.{i}" for i in range(1, 5)]
    assert closest_name("g3.NS.l", skills) == "g3.NS.1"
    assert closest_name("g3.NS.O", ["g3.NS.0", "g3.NS.9"]) == "g3.NS.0"
    assert closest_name("4501", ["004501", "004502"]) == "004501"
    assert closest_name("0", ["1", "2"]) is None  # all zeros: no look-alike, no guess


def test_same_but_case_is_the_case_slip_only() -> None:
    """A warning that must not guess ('8.NS.Z.9' is not '8.NS.A.4') still names a case slip."""
    from adaptive.errors import same_but_case

    codes = ["8.G.A.4", "8.NS.A.4"]
    assert same_but_case("8.g.a.4", codes) == "8.G.A.4"
    assert same_but_case("8.NX.A.4", codes) is None and closest_name("8.NX.A.4", codes)
    # a digit in place of another digit, letters changed beside it: another numbered code
    # (an operator's trial was offered 'g5.NF.2.practice3' for 'g7.NS.2.practice3')
    assert closest_name("8.NS.Z.9", codes) is None
    assert closest_name("g7.NS.2.practice3", ["g5.NF.2.practice3"]) is None


def test_some_of_names_the_first_and_counts_the_rest() -> None:
    from adaptive.errors import some_of

    assert some_of(["a", "b", "c"], 2) == "a, b and 1 more"
    assert some_of(["a", "b"], 2) == "a, b"


def test_a_code_of_another_grade_or_number_is_not_offered() -> None:
    """A placement trial: 'g2.NS.1' (a grade below the catalog) was offered 'g8.NS.1', a skill
    of another grade. Names that differ only in digits written for digits are other numbered
    things (a grade, the next skill, another student); a dropped or doubled digit is a slip."""
    skills = ["g3.NS.1", "g8.NS.1", "g3.NS.4"]
    assert closest_name("g2.NS.1", skills) is None
    assert closest_name("g3.NS.5", skills) is None
    assert closest_name("stu0000028", ["stu0000027"]) is None
    assert closest_name("stu000027", ["stu0000027"]) == "stu0000027"
    assert closest_name("a33", ["a3"]) == "a3"
    # a vendor's retired 'act00350' was offered 'act02050' (difflib aligns the two as a digit
    # inserted and another deleted): another number of the same width is another activity
    generated = [f"act{i:05d}" for i in range(2100) if i != 350]
    assert closest_name("act00350", generated) is None
    assert closest_name("g3.NS.l", skills) == "g3.NS.1"  # a look-alike letter: still the one


def test_a_dropped_zero_finds_the_id_with_zeros_added_at_the_numbers_front_only() -> None:
    """`recommend --student stu000001` (a zero dropped) suggested 'stu0002001': the look-alike
    match found nothing and the close spelling added a digit inside the number. Now the zeros
    in front of each number are what a look-alike drops, so the id meant is found."""
    names = ["stu0002001", "stu0000001", "stu0000002"]
    assert same_as_read("stu000001", names) == "stu0000001"
    assert closest_name("stu000001", names) == "stu0000001"
    assert same_as_read("stu000201", names) is None  # a zero dropped inside: not a look-alike
    assert same_as_read("0000stu0000002", names) == "stu0000002"  # padded to a width


def test_a_knob_named_as_a_peer_library_names_it_gets_ours() -> None:
    """`BKT(n_restart=3)` (pyBKT's restarts are `num_fits`; hmmlearn's and scikit-learn's are
    `n_restarts`/`n_init`) got no "did you mean": no spelling of ours is close to it."""
    from adaptive.errors import UnknownKeywordError
    from adaptive.tracing.bkt import BKT

    for name in ("n_restart", "n_restarts", "n_init"):
        try:
            BKT(**{name: 3})
        except UnknownKeywordError as exc:
            assert f"unknown keyword {name!r} (did you mean 'num_fits'?); valid" in str(exc)
        else:
            raise AssertionError(f"BKT({name}=3) was taken")
    assert "(did you mean 'seed'?)" in unknown_key("random_state", ["seed", "tol"])
    # a peer's name for a knob the model does not have: nothing offered
    assert unknown_key("lr", ["seed", "tol"]) == "unknown key 'lr'; valid keys: seed, tol"


def test_the_keyword_check_reads_the_constructor_as_it_is_now_and_keeps_no_class_alive() -> None:
    """`init_keywords` was cached per class: the cache kept every class alive, and a test that
    patched `__init__` had its new keywords refused by the old signature."""
    import gc
    import weakref

    from adaptive.errors import KeywordChecked

    class Knobs(KeywordChecked):
        def __init__(self, a: int = 1) -> None:
            self.a = a

    Knobs(a=2)

    def patched(self: KeywordChecked, b: int = 1) -> None:
        self.b = b  # type: ignore[attr-defined]

    Knobs.__init__ = patched  # type: ignore[method-assign]
    assert Knobs(b=3).b == 3  # type: ignore[call-arg]
    gone = weakref.ref(Knobs)
    del Knobs, patched
    gc.collect()
    assert gone() is None


def test_one_spelling_drops_the_zeros_a_spreadsheet_drops_and_no_others() -> None:
    """A review: the leading-zeros rule also dropped zeros after '.', ':' or ',', so
    `experiment assign` refused 'Room 1.05' and 'Room 1.5' (two rooms) as one id written two
    ways. A spreadsheet drops a code's leading zeros, never a decimal's or a time's."""
    from adaptive.errors import one_spelling

    assert one_spelling("0104") == one_spelling("104")
    assert one_spelling("0104-G4A") == one_spelling("104-g4a") == one_spelling("104-G04A")
    assert one_spelling("stu000001") == one_spelling("stu1")
    for a, b in (("Room 1.05", "Room 1.5"), ("8:05", "8:5"), ("v1.0.1", "v1.00.1"),
                 ("1,05", "1,5")):  # fmt: skip
        assert one_spelling(a) != one_spelling(b), (a, b)
    assert one_spelling("08:05") == one_spelling("8:05")  # the hour's own leading zero


def test_zeros_leading_a_whole_id_join_it_only_before_a_number_and_are_said_as_zeros() -> None:
    """A review: whole-name leading zeros joined '0A' and 'A' (no spreadsheet writes either
    for the other) and `spelt_apart` called '0stu001' and 'stu001' apart in 'case and leading
    zeros', naming a case they share. A hint's reading (`look_alike`) still offers 'g3.NS.1'
    for 'g3.NS.01', as the report site's script does, line for line."""
    from pathlib import Path

    from adaptive.errors import look_alike, one_spelling, spelt_apart

    assert one_spelling("0000stu001") == one_spelling("stu1")  # padded to a width
    assert one_spelling("0A") != one_spelling("A")
    assert spelt_apart(["0stu001", "stu001"]) == "leading zeros"
    assert spelt_apart(["0104-G4A", "104-g4a"]) == "case and leading zeros"
    assert spelt_apart(["ABC", "abc"]) == "case"
    assert look_alike("g3.NS.01") == look_alike("g3.NS.1")
    import adaptive.errors as errors

    script = (Path(errors.__file__).parent / "reports" / "site" / "assets.py").read_text()
    assert errors._READ_ZEROS.pattern.replace("\\", "") in script.replace("\\", "")


def test_a_truncated_name_finds_the_one_name_it_begins_at_a_words_end() -> None:
    """A district engineer's trial: an export's skill id cut to 'ALG1 1.2' (for 'ALG1 1.2
    Linear equations') was warned of with no "did you mean": no spelling is close to it. The
    one name it begins at a word's end is offered; none where it begins several, or goes on in
    a digit (another numbered skill), or is too short to tell, and never a name that begins it
    ('bkt' is no truncation of 'bkt-forget')."""
    from adaptive.errors import word_prefix_match

    skills = ["ALG1 1.1 Expressions", "ALG1 1.2 Linear equations", "g3.NS.10"]
    assert closest_name("ALG1 1.2", skills) == "ALG1 1.2 Linear equations"
    assert closest_name("alg1 1.2 linear", skills) == "ALG1 1.2 Linear equations"
    assert closest_name("ALG1 1", skills) is None  # begins two
    assert word_prefix_match("g3.NS.1", skills) is None  # 'g3.NS.10' is another skill
    assert word_prefix_match("AL", ["AL X"]) is None
    assert word_prefix_match("ALG1 1.2 Linear equations (new)", skills) is None
