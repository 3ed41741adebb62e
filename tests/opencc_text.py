"""Traditional test text built from the installed OpenCC's own dictionaries.

``tests/test_t2s.py`` (the t2s kernel against OpenCC) and ``tests/test_textbatch.py``
(traditional text on the fold kernel) both need text where OpenCC's rules meet:
whole phrases, their prefixes, phrases written with compatibility ideographs, and
the characters it converts one by one. The dictionaries are read once per run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from engine import t2s


@dataclass(frozen=True)
class Dictionaries:
    """The keys of OpenCC's t2s dictionaries that the test text is made of."""

    phrases: list[str]  # TSPhrases: the keys of the phrase step
    compat: dict[str, str]  # a character -> the compatibility ideograph OpenCC folds to it
    characters: list[str]  # TSCharacters: converted one by one
    ext_characters: list[str]  # TSCharactersExt


@cache
def dictionaries() -> Dictionaries:
    share = t2s.share_dir()
    compat = t2s.read_ocd2(share / "CJK_Compatibility_Ideographs.ocd2")
    return Dictionaries(list(t2s.read_ocd2(share / "TSPhrases.ocd2")),
                        {v[0]: k for k, v in compat.items()},
                        list(t2s.read_ocd2(share / "TSCharacters.ocd2")),
                        list(t2s.read_ocd2(share / "TSCharactersExt.ocd2")))


def mixed_texts(n: int, seed: int, *, parts: tuple[int, int], phrase_rate: float,
                compat_rate: float, prefix_rate: float,
                filler: Callable[[random.Random], str]) -> list[str]:
    """``n`` texts, each of ``parts`` (inclusive bounds) pieces: an OpenCC phrase with
    probability ``phrase_rate`` (written with compatibility ideographs at
    ``compat_rate``, cut to a prefix at ``prefix_rate``), else ``filler(rng)``."""
    d = dictionaries()
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        pieces = []
        for _ in range(rng.randint(*parts)):
            if rng.random() < phrase_rate:
                phrase = rng.choice(d.phrases)
                if rng.random() < compat_rate:
                    phrase = "".join(d.compat.get(c, c) for c in phrase)
                if rng.random() < prefix_rate:
                    phrase = phrase[:rng.randint(1, len(phrase))]
                pieces.append(phrase)
            else:
                pieces.append(filler(rng))
        texts.append("".join(pieces))
    return texts
