"""Issue 24's dashboard bugs: the language switch on the Train page, the explained class after a change
of task, attributions and poem writing that say how far they are and do not restart, and poems with a
box for a lost character."""
from __future__ import annotations

import pytest

from rnnkit.data.tasks.poems import check_poem, not_chinese


@pytest.mark.parametrize("poem", ["春風亦□來，山風雨雲水。天地人心日，夜明清白青。",
                                  "春風亦\ufffd來，山風雨雲水。天地人心日，夜明清白青。",
                                  "春風亦○來，山風雨雲水。天地人心日，夜明清白青。",
                                  "春風亦a來，山風雨雲水。天地人心日，夜明清白青。"])
def test_a_poem_with_a_box_or_a_letter_is_not_well_formed(poem):
    good, why = check_poem(poem, 5)
    assert not good and why == f"characters that are not Chinese: {poem[3]}"
    assert not_chinese(poem) == [poem[3]]


def test_a_poem_of_chinese_characters_is_still_well_formed():
    assert check_poem("春花秋月江，山風雨雲水。天地人𠀀〇，夜明清白青。", 5) == (True, "well formed")


def test_the_playground_says_why_a_poem_with_a_box_is_not_well_formed():
    from rnnkit.ui.playground import poem_verdict

    assert poem_verdict("春風亦□來，山風雨雲水。天地人心日，夜明清白青。", 5) == (
        False, "characters that are not Chinese: □")
    assert poem_verdict("春花秋月，山風雨雲水。天地人心日，夜明清白青。", 5) == (
        False, "line lengths [4, 5, 5, 5], expected 5 each")
