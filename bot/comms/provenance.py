"""Whose words a draft is: lines drafted from the fields, lines a person wrote, and merging.

A form remembers the fingerprint of the rendering its drafted lines came from (the title and each
line, hashed). When the fields change, lines still exactly as drafted follow the new rendering;
every line a person wrote or changed is kept as it is (a three-way merge by line), including
where the new rendering would have said something else there. Only an explicit re-draft
replaces a person's lines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

FINGERPRINT_MAX = 150  # lines remembered: the fingerprint rides in a form's small metadata


@dataclass(frozen=True)
class Merged:
    """The text after a merge, and the person's lines kept where the fields said otherwise."""

    title: str
    text: str
    kept: tuple[str, ...] = ()


@dataclass(frozen=True)
class Parts:
    """Which lines of a text are the person's own; the rest are as drafted from the fields."""

    drafted: int
    theirs: tuple[str, ...]
    title_theirs: bool

    @property
    def all_drafted(self) -> bool:
        """Whether nothing in the text was written by hand."""
        return not self.theirs and not self.title_theirs


def lines(text: str) -> list[str]:
    """Split a text into lines without trailing spaces (as forms return them)."""
    return [line.rstrip() for line in text.strip().split("\n")]


def fingerprint(title: str, text: str) -> tuple[str, ...]:
    """Hash the title and each line of a rendering (to recognise its lines later)."""
    return (_hash(title.strip()), *(_hash(line) for line in lines(text)))[:FINGERPRINT_MAX]


def merge(
    base: Sequence[str] | None, title: str, text: str, rendered_title: str, rendered_text: str
) -> Merged:
    """Apply a new rendering to a person's text, keeping every line they wrote or changed.

    `base` is the fingerprint of the rendering the person's text was drafted from; without one,
    nothing is known to be drafted and the text is kept whole.
    """
    if not base:
        return Merged(title, text)
    new_title, title_kept = _merge_one(base[0], title.strip(), rendered_title.strip())
    merged, kept = _merge_lines(list(base[1:]), lines(text), lines(rendered_text))
    return Merged(new_title, "\n".join(merged).strip(), (*title_kept, *kept))


def parts(title: str, text: str, rendered_title: str, rendered_text: str) -> Parts:
    """Tell the drafted lines of a text from the person's own, against its rendering."""
    drafted = set(lines(rendered_text))
    written = [line for line in lines(text) if line and line not in drafted]
    count = sum(1 for line in lines(text) if line and line in drafted)
    return Parts(count, tuple(written), title.strip() != rendered_title.strip())


def _hash(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()[:8]


def _merge_one(base: str, mine: str, new: str) -> tuple[str, tuple[str, ...]]:
    if _hash(mine) == base:
        return new, ()
    return mine, ((mine,) if _hash(new) != base and new != mine else ())


def _matches(base: Sequence[str], other: Sequence[str]) -> dict[int, int]:
    """Map each base line to the same line in `other`, where they line up."""
    blocks = SequenceMatcher(a=base, b=other, autojunk=False).get_matching_blocks()
    return {i + k: j + k for i, j, size in blocks for k in range(size)}


def _merge_lines(
    base: list[str], mine: list[str], new: list[str]
) -> tuple[list[str], tuple[str, ...]]:
    """Three-way merge by line: between lines all three share, take the side that changed."""
    mine_h, new_h = [_hash(x) for x in mine], [_hash(x) for x in new]
    to_mine, to_new = _matches(base, mine_h), _matches(base, new_h)
    anchors = [i for i in sorted(to_mine) if i in to_new]
    out: list[str] = []
    kept: list[str] = []
    b = m = n = 0
    ends = [*((i, to_mine[i], to_new[i]) for i in anchors), (len(base), len(mine), len(new))]
    for i, j, k in ends:
        if mine_h[m:j] == base[b:i]:
            out += new[n:k]
        elif new_h[n:k] in (base[b:i], mine_h[m:j]):
            out += mine[m:j]
        else:
            merged, clashed = _hunk(base[b:i], mine[m:j], new_h[n:k], new[n:k])
            out += merged
            kept += clashed
        if i < len(base):
            out.append(mine[j])
        b, m, n = i + 1, j + 1, k + 1
    return out, tuple(kept)


def _hunk(
    base: list[str], mine: list[str], new_h: list[str], new: list[str]
) -> tuple[list[str], list[str]]:
    """Merge a stretch both sides changed: line by line where the fields changed it one for one
    (the person's lines kept in place), else the person's lines as they are."""
    if len(base) != len(new):
        return mine, _written(mine)
    to_mine = _matches(base, [_hash(x) for x in mine])
    out: list[str] = []
    kept: list[str] = []
    last, m = -1, 0
    for i in [*sorted(to_mine), len(base)]:
        j = to_mine.get(i, len(mine))
        gap = mine[m:j]  # the person's own lines where drafted ones were
        out += gap
        if any(new_h[x] != base[x] for x in range(last + 1, i)):
            kept += _written(gap)
        if i < len(base):
            out.append(new[i])  # a line still as drafted follows the fields
        last, m = i, j + 1
    return out, kept


def _written(lines: list[str]) -> list[str]:
    return [line for line in lines if line]
