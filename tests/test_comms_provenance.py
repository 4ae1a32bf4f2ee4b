"""Whose words a draft is, and the merge that keeps them: plain values in, plain values out."""

from __future__ import annotations

from bot.comms.provenance import FINGERPRINT_MAX, fingerprint, merge, parts

TITLE = "Update on Smart Reply: wrong answers"
DRAFT = """We are still investigating the fault in Smart Reply.

What is happening: Answers stated incorrect information as fact.
Who is affected: Smart Reply users.
What we have done: We turned the feature off.

We will post the next update by 10:00."""


BASE = fingerprint(TITLE, DRAFT)
EU = DRAFT.replace("Smart Reply users.", "Smart Reply users in the EU.")


def test_lines_still_as_drafted_follow_the_fields() -> None:
    assert merge(BASE, TITLE, DRAFT, TITLE, EU).text == EU


def test_own_lines_stay_and_their_neighbours_still_follow() -> None:
    mine = DRAFT.replace("We turned the feature off.", "At 03:40 we turned Smart Reply off.")
    merged = merge(BASE, "Smart Reply gave wrong answers", mine, TITLE, EU)
    assert merged.title == "Smart Reply gave wrong answers"
    assert "Who is affected: Smart Reply users in the EU." in merged.text
    assert "What we have done: At 03:40 we turned Smart Reply off." in merged.text
    assert merged.kept == ()


def test_own_words_win_where_the_fields_changed_the_same_line() -> None:
    mine = DRAFT.replace("Smart Reply users.", "everyone who used Smart Reply today.")
    merged = merge(BASE, TITLE, mine, TITLE, EU)
    assert merged.text == mine
    assert merged.kept == ("Who is affected: everyone who used Smart Reply today.",)


def test_added_and_removed_lines_stay_as_the_person_left_them() -> None:
    mine = DRAFT.replace("What is happening: Answers stated incorrect information as fact.\n", "")
    mine += "\nWe are sorry."
    merged = merge(BASE, TITLE, mine, TITLE, EU)
    assert "What is happening" not in merged.text
    assert merged.text.endswith("We are sorry.")
    assert "Who is affected: Smart Reply users in the EU." in merged.text


def test_a_line_the_fields_add_appears_where_the_template_puts_it() -> None:
    more = DRAFT.replace(
        "What we have done: We turned the feature off.",
        "What we have done: We turned the feature off.\nWhat you can do: Check the answers.",
    )
    mine = DRAFT + "\nWe are sorry."
    merged = merge(BASE, TITLE, mine, TITLE, more)
    assert "off.\nWhat you can do: Check the answers.\n" in merged.text
    assert merged.text.endswith("We are sorry.")


def test_without_a_fingerprint_the_text_is_all_theirs() -> None:
    assert merge(None, "Mine", "my text", TITLE, EU).text == "my text"
    assert merge((), "Mine", "my text", TITLE, EU).title == "Mine"


def test_parts_name_the_persons_lines() -> None:
    mine = DRAFT.replace("We turned the feature off.", "At 03:40 we turned it off.")
    found = parts("Mine", mine, TITLE, DRAFT)
    assert found.title_theirs and found.theirs == ("What we have done: At 03:40 we turned it off.",)
    assert found.drafted == 4 and not found.all_drafted
    assert parts(TITLE, DRAFT, TITLE, DRAFT).all_drafted


def test_the_fingerprint_stays_small() -> None:
    long = "\n".join(f"line {n}" for n in range(500))
    shape = fingerprint("T", long)
    assert len(shape) == FINGERPRINT_MAX and all(len(h) == 8 for h in shape)
    mine = long + "\nmine"
    assert merge(shape, "T", mine, "T", long.replace("line 499", "new")).text.endswith("mine")
