"""engine.t2s: the numba emulation of OpenCC's t2s against OpenCC itself."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import opencc
import pytest

import engine.normalize
import engine.textbatch
from engine import t2s
from engine.kwscan import encode_batch
from engine.normalize import Normalizer, NormalizeSettings
from engine.textbatch import EXACT, BatchNormalizer
from tests.opencc_text import dictionaries, mixed_texts


@pytest.fixture(scope="module")
def converter() -> t2s.T2SConverter:
    loaded = t2s.load()
    assert loaded is not None, "the installed OpenCC's t2s tables should load"
    return loaded


def _texts_from_the_dictionaries(n: int, seed: int = 5) -> list[str]:
    """Text where OpenCC's rules meet: whole phrases, their prefixes, phrases written
    with compatibility ideographs, dictionary characters, random CJK (astral too),
    ASCII, punctuation, NUL and newlines, run together."""
    d = dictionaries()
    rng = random.Random(seed)
    pool = [*{c for p in d.phrases for c in p}, *d.characters, *d.ext_characters,
            *d.compat.values(), *"ab 12,。！\n\t\x00",
            *(chr(rng.randrange(0x4E00, 0xA000)) for _ in range(2000)),
            *(chr(rng.randrange(0x20000, 0x2A6E0)) for _ in range(200))]
    return mixed_texts(n, seed, parts=(1, 12), phrase_rate=0.35, compat_rate=0.2,
                       prefix_rate=0.3,
                       filler=lambda r: "".join(r.choices(pool, k=r.randint(1, 4))))


def test_converts_as_opencc_does(converter: t2s.T2SConverter) -> None:
    reference = opencc.OpenCC("t2s")
    texts = _texts_from_the_dictionaries(4000)
    differ = [t for t in texts if converter.convert(t) != reference.convert(t)]
    assert not differ, differ[:3]
    # The texts do exercise the phrase step: many convert unlike character by character.
    by_character = [t for t in texts
                    if reference.convert(t) != "".join(reference.convert(c) for c in t)]
    assert len(by_character) > 500


def test_a_lone_surrogate_is_refused_as_opencc_refuses_it(converter: t2s.T2SConverter) -> None:
    with pytest.raises(UnicodeError):
        opencc.OpenCC("t2s").convert("乾淨\ud800")
    with pytest.raises(ValueError, match="surrogate"):
        converter.convert("乾淨\ud800")
    # The normalizer keeps such text as it is, whichever converter runs.
    assert Normalizer(NormalizeSettings()).to_simplified("乾淨\ud800") == "乾淨\ud800"


def _copy_of_share(tmp_path: Path) -> Path:
    copy = tmp_path / "opencc"
    shutil.copytree(t2s.share_dir(), copy)
    return copy


def test_refuses_a_damaged_dictionary(tmp_path: Path) -> None:
    share = _copy_of_share(tmp_path)
    phrases = share / "TSPhrases.ocd2"
    phrases.write_bytes(phrases.read_bytes()[:-7])
    with pytest.raises(t2s.TablesRefused, match=r"TSPhrases\.ocd2"):
        t2s.load_from(share)
    phrases.write_bytes(b"NOT_OPENCC" + phrases.read_bytes())
    with pytest.raises(t2s.TablesRefused, match="header"):
        t2s.load_from(share)


def test_refuses_a_configuration_of_another_shape(tmp_path: Path) -> None:
    share = _copy_of_share(tmp_path)
    config = json.loads((share / "t2s.json").read_text(encoding="utf-8"))
    config["conversion_chain"][0]["dict"]["dicts"].reverse()  # characters before phrases
    (share / "t2s.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(t2s.TablesRefused, match="shape"):
        t2s.load_from(share)
    (share / "t2s.json").write_text("{", encoding="utf-8")
    with pytest.raises(t2s.TablesRefused, match=r"t2s\.json"):
        t2s.load_from(share)


def test_refuses_tables_that_convert_a_key_unlike_opencc(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    real = t2s.read_ocd2

    def one_phrase_wrong(path: Path) -> dict[str, list[str]]:
        entries = real(path)
        if path.name == "TSPhrases.ocd2":
            key = next(k for k, v in entries.items() if v[0] != k)
            entries[key] = [key]  # "converts" to itself
        return entries

    monkeypatch.setattr(t2s, "read_ocd2", one_phrase_wrong)
    with pytest.raises(t2s.TablesRefused, match="OpenCC says"):
        t2s.load_from(t2s.share_dir())


def test_without_marisa_trie_the_tables_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(t2s, "marisa_trie", None)
    with pytest.raises(t2s.TablesRefused, match="marisa-trie"):
        t2s.load_from(t2s.share_dir())


def test_without_the_kernel_opencc_converts_and_the_batch_path_agrees(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine.normalize, "load_t2s", lambda: None)
    monkeypatch.setattr(engine.textbatch, "load_t2s", lambda: None)
    normalizer = Normalizer(NormalizeSettings())
    texts = ["這個乾淨的電話", "乾隆皇帝", "驗證碼", "今晚吃饭"]
    batch = BatchNormalizer(normalizer)
    assert [r.text for r in batch.normalize_many(texts)] == [
        normalizer.normalize(t).text for t in texts] == ["这个干净的电话", "干隆皇帝", "验证码",
                                                        "今晚吃饭"]
    # No phrase list to check against: every traditional text takes the exact path.
    _, outcome = batch.fold_batch(*encode_batch(texts))
    assert outcome.tolist()[:3] == [EXACT] * 3
