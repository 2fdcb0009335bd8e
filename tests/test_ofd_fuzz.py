"""A small seeded fuzz of the OFD reader: mutated zips (flipped, cut, duplicated bytes) and mutated XML
(broken tags, odd numbers, hostile locations, huge repeat counts). Each case either opens — and then
renders page 1 and searches — or fails with a typed SealDesk error; never another exception, never a hang."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from ofd_documents import minimal_parts, write_ofd

from app.core import errors
from app.core.document import open_document

INTEROP = Path(__file__).parent / "data" / "interop"
SEEDS = range(150)
CASE_SECONDS = 5.0

XML_NOISE = [
    "<", ">", "&", "&amp;", "&#0;", "]]>", "<!--", "\x00", "../../x", "/", "\\", "-1", "0", "1e309", "-1e309",
    "NaN", "inf", "99999999", "g 99999999 1", "g x 1", "g", "M", "A 1 1 0 1 1 5 5", "Q 1", "B 1 2 3",
    " ID=\"1\"", " Boundary=\"0 0 1e30 1e30\"", " CTM=\"0 0 0 0 0 0\"", "<ofd:Layer>", "</ofd:Layer>",
    "<ofd:CompositeObject ID=\"9\" ResourceID=\"9\" Boundary=\"0 0 1 1\"/>", "<ofd:PageBlock>", "中文",
]


def _check(path: Path) -> str:
    start = time.monotonic()
    try:
        with open_document(path) as doc:
            doc.render(0, 12)
            doc.search("测试")
            outcome = "opened"
    except errors.SealDeskError as exc:
        assert exc.user_message()
        outcome = type(exc).__name__
    assert time.monotonic() - start < CASE_SECONDS
    return outcome


@pytest.mark.parametrize("seed", SEEDS)
def test_mutated_xml(tmp_path: Path, seed: int):
    rng = random.Random(seed)
    parts = minimal_parts()
    name = rng.choice(list(parts))
    text = parts[name]
    assert isinstance(text, str)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(text))
        action = rng.random()
        if action < 0.4:
            text = text[:at] + rng.choice(XML_NOISE) + text[at:]
        elif action < 0.7:
            text = text[:at] + text[at + rng.randint(1, 12):]
        else:  # replace a number with an odd one
            text = text[:at] + text[at:].replace("0", rng.choice(["-5", "1e308", "NaN", "000", ""]), 1)
    parts[name] = text
    _check(write_ofd(tmp_path / f"x{seed}.ofd", parts))


@pytest.mark.parametrize("seed", [*SEEDS, 1589])  # 1589: an empty entry name (zipfile's is_dir() fails)
def test_mutated_zip_bytes(tmp_path: Path, seed: int):
    rng = random.Random(1000 + seed)
    source = rng.choice(["helloworld.ofd", "keyword2.ofd", "SESV4SignDoc.ofd", "multiKeywordInTextCode.ofd"])
    data = bytearray((INTEROP / source).read_bytes())
    action = rng.random()
    if action < 0.6:
        for _ in range(rng.randint(1, 16)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif action < 0.8:
        data = data[: rng.randrange(len(data))]
    else:
        at = rng.randrange(len(data))
        data = data[:at] + data[at : at + rng.randint(1, 200)] * 2 + data[at:]
    path = tmp_path / f"z{seed}.ofd"
    path.write_bytes(bytes(data))
    _check(path)
