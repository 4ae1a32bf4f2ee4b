"""Button values and view state are read the way the builders write them."""

from __future__ import annotations

import pytest

from bot.slack import button_value, view_state


def test_button_value_round_trip_keeps_a_separator_in_the_last_part() -> None:
    value = button_value.encode(12, "rollback_model", 3)
    assert value == "12:rollback_model:3"
    assert button_value.decode(value, 3) == ["12", "rollback_model", "3"]
    assert button_value.decode(button_value.encode(7, "step:with:colons"), 2) == [
        "7",
        "step:with:colons",
    ]


@pytest.mark.parametrize("value", ["12", "", None])
def test_a_button_value_with_too_few_parts_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="malformed button value"):
        button_value.decode(value, 2)


def test_view_state_reads_text_inputs_and_selects_by_action_id() -> None:
    view = {
        "state": {
            "values": {
                "title_block": {"title": {"type": "plain_text_input", "value": "  Wrong refunds "}},
                "sev_block": {
                    "severity": {"type": "static_select", "selected_option": {"value": "P1"}}
                },
                "empty_block": {"note": {"type": "plain_text_input", "value": None}},
            }
        }
    }
    assert view_state.values(view) == {"title": "  Wrong refunds ", "severity": "P1", "note": ""}
    assert view_state.text(view, "title") == "Wrong refunds"
    assert view_state.text(view, "missing") == ""
    assert view_state.values({}) == {}
