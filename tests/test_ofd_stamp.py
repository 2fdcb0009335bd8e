"""Stamping OFD documents with the SM2 seal on SealDesk's SM2 test token (tests/p11sm2, `make setup`):
every unsigned interop OFD in every mode (spot, pages, keyword, cross-page) through the Stamper, then the
result checked independently — OpenSSL verifies the SM2 signature over the DER TBS_Sign, each Reference's
check value is recomputed from the package, SealDesk's SES code and its OFD verifier accept it, the usage
record names the output's digests, and the stamped pages render with the seal visible.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_sm2_token import openssl_verifies

from app.core import demo, demo_sm2, gm, sm2_test_module
from app.core.errors import InvalidArgument, OfdNeedsSm2Key, OfdSignaturesProtected
from app.core.keys import KeySession, TokenManager
from app.core.ofd import read_ofd
from app.core.ofd.sign import stamped_with_seal
from app.core.ofd.verify import verify_ofd
from app.core.ses import parse_seal, parse_ses_signature, verify_ses_signature
from app.core.stamping import (
    CrossPagePlacement,
    FieldPlacement,
    KeywordPlacement,
    SpotPlacement,
    Stamper,
    StampRequest,
    preflight,
)
from app.core.usage.log import UsageLog

MODULE = sm2_test_module.module_path()
pytestmark = pytest.mark.skipif(MODULE is None, reason="the SM2 test module is not built (make setup)")
INTEROP = Path(__file__).resolve().parent / "data" / "interop"


@dataclass
class Sm2Desk:
    session: KeySession
    identity: demo_sm2.Sm2Identity
    log: UsageLog


@contextmanager
def sm2_token_with_identity(folder: Path, label: str) -> Iterator[tuple[TokenManager, demo_sm2.Sm2Identity]]:
    """A key manager over a fresh SM2 test token `label` holding the SM2 demo identity (key, certificate,
    seal; logged out again), its store in `folder`; the module's own configuration restored afterwards."""
    store = folder / "store"
    store.mkdir()
    conf = folder / "module.conf"
    conf.write_text(sm2_test_module.config_text(store), encoding="utf-8")
    previous = os.environ.get(sm2_test_module.CONF_ENV)
    os.environ[sm2_test_module.CONF_ENV] = str(conf)
    manager = TokenManager(extra_modules=[MODULE], use_catalog=False)
    try:
        manager.reinitialize(MODULE)
        identity = demo_sm2.make_sm2_identity()
        manager.initialise_token(MODULE, label, demo.DEMO_SO_PIN, demo.DEMO_PIN)
        session = manager.open_session(manager.find_token(label=label), demo.DEMO_PIN)
        try:
            session.import_sm2_key(demo_sm2.SM2_KEY_ID, "SM2 holder", identity.holder_key)
            session.put_certificate(demo_sm2.SM2_KEY_ID, "SM2 holder", identity.holder)
            session.put_seal(demo_sm2.SM2_KEY_ID, demo_sm2.SM2_SEAL_NAME, identity.seal_der)
        finally:
            session.close()
        yield manager, identity
    finally:
        os.environ.pop(sm2_test_module.CONF_ENV)
        if previous is not None:
            os.environ[sm2_test_module.CONF_ENV] = previous
        sm2_test_module.ensure_config()
        manager.reinitialize(MODULE)  # later tests never see this token
        manager.close()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sm2Desk]:
    """One SM2 token with the SM2 demo identity for the whole module (a fresh one per test costs a key
    import and a seal each), a session on it and a usage log."""
    folder = tmp_path_factory.mktemp("ofd-sm2")
    with sm2_token_with_identity(folder, "SM2 OFD") as (manager, identity):
        session = manager.open_session(manager.find_token(label="SM2 OFD"), demo.DEMO_PIN)
        log = UsageLog(folder / "usage.sqlite3")
        try:
            yield Sm2Desk(session, identity, log)
        finally:
            log.close()
            session.close()


def stamp(desk: Sm2Desk, source: Path, placement, target: Path, approval: str = "审批-OFD-1"):
    return Stamper(desk.session, desk.identity.es_id, usage_log=desk.log).stamp(
        StampRequest(source, placement, output_path=target, approval_ref=approval)
    )


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def check_new_signature(desk: Sm2Desk, source: Path, target: Path, folder: Path) -> None:
    """The last signature of `target`, checked without SealDesk's OFD verifier: References against the
    package, SES_Signature with OpenSSL and SealDesk's SES code, and nothing of the input changed."""
    before, after = parts_of(source), parts_of(target)
    ofd = read_ofd(target)
    try:
        new = ofd.signatures[-1]
        own = {ofd.signatures_part, new.part, new.signed_value_part}
        # only files were added, and Signatures.xml (and OFD.xml once, for its link to it) rewritten
        for name, data in before.items():
            if name.rstrip("/") and not name.endswith("/") and name not in (ofd.signatures_part, ofd.ofd_part):
                assert after[name] == data, name
        assert set(before) - {n for n in before if n.endswith("/")} <= set(after)
        # every file but Signatures.xml and the signature's own two is referenced, with its SM3
        referenced = {r.part: r.check_value for r in new.references}
        assert set(referenced) == set(after) - own
        for part, value in referenced.items():
            assert base64.b64decode(value) == gm.sm3(after[part]), part
        assert new.check_method == gm.SM3_OID and new.seal_part in referenced
        assert after[new.seal_part] == desk.identity.seal_der
        # SignedValue.dat: a v4 SES_Signature by the token's key over TBS_Sign, dataHash = SM3(Signature.xml)
        signature = parse_ses_signature(after[new.signed_value_part])
        assert signature.version == 4 and signature.cert == desk.identity.holder
        assert signature.seal.es_id == desk.identity.es_id
        assert signature.data_hash == gm.sm3(after[new.part])
        assert signature.property_info == "/" + new.part
        assert openssl_verifies(desk.identity.holder, signature.tbs_der, signature.signature, folder)
        check = verify_ses_signature(signature, data=after[new.part])
        assert check.signature_ok and check.data_hash_ok and not check.problems
    finally:
        ofd.close()


def record_matches(desk: Sm2Desk, result, target: Path) -> None:
    from cryptography.hazmat.primitives import hashes

    record = next(r for r in desk.log.records() if r.record_id == result.record_id)
    data = target.read_bytes()
    sm3 = hashes.Hash(hashes.SM3())
    sm3.update(data)
    assert record.document_sha256 == hashlib.sha256(data).hexdigest()
    assert record.document_sm3 == sm3.finalize().hex()
    assert record.document_name == target.name and record.approval_ref == "审批-OFD-1"
    assert len(record.placements) == len(result.spots)


CASES = [
    ("helloworld", SpotPlacement((105.0, 150.0)), [0]),
    ("helloworld", KeywordPlacement("OFD"), [0]),
    ("Page5", SpotPlacement((150.0, 240.0), pages="1-3"), [0, 1, 2]),
    ("Page5", CrossPagePlacement(), [0, 1, 2, 3, 4]),
    ("VPage7", SpotPlacement((60.0, 60.0), pages="1,-1"), [0, 4]),
    ("VPage7", CrossPagePlacement(pages="2-4", edge="left", y_mm=80.0), [1, 2, 3]),
    ("20240531141733", SpotPlacement((150.0, 100.0)), [0]),
    ("20240531141733", KeywordPlacement("发票号码", offset_mm=(10.0, 15.0)), [0]),
    ("keyword2", KeywordPlacement("马上融资", pages="2"), [1]),
    ("keyword2", CrossPagePlacement(), [0, 1]),
    ("keyword2", SpotPlacement((100.0, 100.0), pages="all"), [0, 1]),
    ("multiKeywordInTextCode", KeywordPlacement("哈哈", every=True), None),
]


@pytest.mark.parametrize(("name", "placement", "pages"), CASES, ids=[f"{c[0]}-{type(c[1]).__name__}" for c in CASES])
def test_every_interop_ofd_in_every_mode(desk: Sm2Desk, tmp_path: Path, name: str, placement, pages) -> None:
    source = INTEROP / f"{name}.ofd"
    original = source.read_bytes()
    target = tmp_path / f"{name}.signed.ofd"
    preflight(StampRequest(source, placement, output_path=target))
    result = stamp(desk, source, placement, target)
    assert source.read_bytes() == original and result.output_path == target
    check_new_signature(desk, source, target, tmp_path)
    record_matches(desk, result, target)

    ofd = read_ofd(target)
    try:
        annots = ofd.signatures[-1].stamp_annots
        if pages is not None:
            assert [a.page_index for a in annots] == pages
        else:
            assert len(annots) > 1  # every match of the keyword
        cross = isinstance(placement, CrossPagePlacement)
        assert all((a.clip is not None) == cross for a in annots)
        for annot, spot in zip(annots, result.spots, strict=True):
            x, y, w, h = annot.boundary
            count = spot.slice_count or 1  # a slice's Boundary is the whole seal
            assert (w, h) == pytest.approx((spot.size_mm[0] * count, spot.size_mm[1]), abs=0.01)
            if annot.clip is None:
                assert (x + w / 2, y + h / 2) == pytest.approx(spot.center_mm, abs=0.01)
            else:  # the clipped slice is where the cross-page spot is
                cx, cy, cw, ch = annot.clip
                assert (x + cx + cw / 2, y + cy + ch / 2) == pytest.approx(spot.center_mm, abs=0.01)
    finally:
        ofd.close()

    report = verify_ofd(target, trust_roots=[desk.identity.root])
    mine = report.signatures[-1]
    assert mine.intact and mine.valid and mine.seal_status == "valid" and mine.picture_check == "match"
    assert mine.modification_level == "none" and not mine.file_changes
    assert stamped_with_seal(target, desk.identity.es_id)


def test_second_stamping_keeps_the_first_valid_and_changes_are_reported(desk: Sm2Desk, tmp_path: Path) -> None:
    first = tmp_path / "Page5.signed.ofd"
    stamp(desk, INTEROP / "Page5.ofd", SpotPlacement((150.0, 240.0), pages="1"), first)
    second = tmp_path / "Page5.signed-2.ofd"
    stamp(desk, first, CrossPagePlacement(), second, approval="审批-OFD-2")
    check_new_signature(desk, first, second, tmp_path)
    report = verify_ofd(second, trust_roots=[desk.identity.root])
    assert [s.field_name for s in report.signatures] == ["Sign_0", "Sign_1"]
    assert report.all_valid and all(s.modification_level == "none" for s in report.signatures)
    ofd = read_ofd(second)
    try:
        one, two = ofd.signatures
        assert int(two.id) > max(int(a.id) for a in one.stamp_annots)  # IDs never reused
        assert {r.part for r in one.references} < {r.part for r in two.references}  # the first's files too
    finally:
        ofd.close()

    # a protected file changed afterwards: both signatures say so
    parts = parts_of(second)
    page = "Doc_0/Pages/Page_0/Content.xml"
    parts[page] = parts[page].replace(b"</ofd:Layer>", b"<ofd:TextObject ID=\"999\" Boundary=\"0 0 1 1\"/></ofd:Layer>", 1)
    assert parts[page] != parts_of(second)[page]
    changed = tmp_path / "changed.ofd"
    with zipfile.ZipFile(changed, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    report = verify_ofd(changed, trust_roots=[desk.identity.root])
    assert not report.all_valid
    assert all(("changed", page) in s.file_changes for s in report.signatures)
    # a file added afterwards (an annotation, a page) is reported too
    added = tmp_path / "added.ofd"
    with zipfile.ZipFile(added, "w") as archive:
        for name, data in parts_of(second).items():
            archive.writestr(name, data)
        archive.writestr("Doc_0/Pages/Page_9/Content.xml", parts[page])
    report = verify_ofd(added, trust_roots=[desk.identity.root])
    assert all(("added", "Doc_0/Pages/Page_9/Content.xml") in s.file_changes for s in report.signatures)
    assert not stamped_with_seal(changed, desk.identity.es_id)


def test_stamped_ofd_shows_the_seal(desk: Sm2Desk, tmp_path: Path) -> None:
    """Rendered pages: the seal's red is where the StampAnnot is (a whole seal, or a slice on the edge for
    骑缝章), and not on the unstamped copy. Pictures kept in tmp_path for a look by eye."""
    import pymupdf

    from app.core.document import open_document

    target = tmp_path / "Page5.both.ofd"
    middle = tmp_path / "Page5.spot.ofd"
    stamp(desk, INTEROP / "Page5.ofd", SpotPlacement((175.0, 240.0), pages="1"), middle)
    stamp(desk, middle, CrossPagePlacement(), target)

    def red_in(path: Path, page: int, box_mm) -> int:
        dpi = 50
        doc = open_document(path)
        try:
            shot = doc.render(page, dpi)
        finally:
            doc.close()
        pix = pymupdf.Pixmap(pymupdf.csRGB, shot.width, shot.height, shot.samples, False)
        pix.save(tmp_path / f"{path.stem}-p{page + 1}.png")
        scale = dpi / 25.4
        x0, y0, x1, y1 = (round(v * scale) for v in box_mm)
        count = 0
        for yy in range(max(0, y0), min(shot.height, y1)):
            for xx in range(max(0, x0), min(shot.width, x1)):
                r, g, b = pix.pixel(xx, yy)
                count += r > 180 and g < 90 and b < 90
        return count

    size = parse_seal(desk.identity.seal_der).picture.width_mm
    seal = (175.0 - size / 2, 240.0 - size / 2, 175.0 + size / 2, 240.0 + size / 2)
    assert red_in(target, 0, seal) > 50 and red_in(INTEROP / "Page5.ofd", 0, seal) == 0
    slice_w = size / 5
    for page in range(5):  # the slice on the right edge of every page, centred vertically
        edge = (210.0 - slice_w, 148.5 - size / 2, 210.0, 148.5 + size / 2)
        assert red_in(target, page, edge) > 5, page
        outside = (210.0 - size, 148.5 - size / 2, 210.0 - slice_w - 1.0, 148.5 + size / 2)
        assert red_in(target, page, outside) == 0, page  # the Clip hides the rest of the seal


def test_refusals_before_anything_is_written(desk: Sm2Desk, tmp_path: Path, demo_key, session) -> None:
    # a signature list protected by an earlier signature (ofdrw "whole protected") admits no more
    target = tmp_path / "allprotected.signed.ofd"
    with pytest.raises(OfdSignaturesProtected):
        preflight(StampRequest(INTEROP / "allprotected.ofd", SpotPlacement((50.0, 50.0)), output_path=target))
    with pytest.raises(OfdSignaturesProtected):
        stamp(desk, INTEROP / "allprotected.ofd", SpotPlacement((50.0, 50.0)), target)
    with pytest.raises(OfdSignaturesProtected):  # its second signature protects Signatures.xml as well
        preflight(StampRequest(INTEROP / "keyword.ofd", KeywordPlacement("不动产证明"), output_path=target))
    # OFD has no signature fields
    with pytest.raises(InvalidArgument):
        preflight(StampRequest(INTEROP / "helloworld.ofd", FieldPlacement("Signature1"), output_path=target))
    # an RSA/ECDSA key cannot make an OFD seal signature
    log = UsageLog(tmp_path / "usage.sqlite3")
    try:
        with pytest.raises(OfdNeedsSm2Key) as raised:
            Stamper(session, demo_key.seals[0].es_id, usage_log=log).stamp(
                StampRequest(INTEROP / "helloworld.ofd", SpotPlacement((50.0, 50.0)), output_path=target)
            )
        assert "SM2" in raised.value.user_message() and not log.records()
    finally:
        log.close()
    assert not target.exists() and list(tmp_path.glob("*.ofd")) == []


def test_cli_stamps_an_ofd_with_the_sm2_demo_and_refuses_an_rsa_seal(tmp_path: Path) -> None:
    """`sealdesk demo-key`, `stamp x.ofd --cross-page` with the SM2 demo seal, `verify --json`: valid. The
    RSA demo seal on an OFD is refused before the PIN is read (stdin is empty: reading it would fail
    differently)."""
    import json
    import subprocess
    import sys

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in (sm2_test_module.CONF_ENV, "SOFTHSM2_CONF")}
    env["SEALDESK_HOME"] = str(home)

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=INTEROP.parent.parent.parent, env=env,
                              input=stdin, capture_output=True, text=True, timeout=300)  # fmt: skip

    assert cli("demo-key").returncode == 0
    tokens = json.loads(cli("tokens", "--json").stdout)["tokens"]
    serial = next(t["serial"] for t in tokens if t["label"] == demo.SM2_DEMO_LABEL)
    source = tmp_path / "多页.ofd"
    source.write_bytes((INTEROP / "Page5.ofd").read_bytes())
    stamped = cli("stamp", str(source), "--seal", "DEMOSM2", "--cross-page", "--approval", "A-1", "--token", serial,
                  "--pin-stdin", "--json", stdin=demo.DEMO_PIN + "\n")  # fmt: skip
    assert stamped.returncode == 0, stamped.stdout + stamped.stderr
    out = tmp_path / "多页.signed.ofd"
    assert json.loads(stamped.stdout)[0]["output"] == str(out)
    verified = cli("verify", str(out), "--trust", str(home / "demo" / "demo-sm2-root-ca.pem"), "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    (sig,) = json.loads(verified.stdout)["signatures"]
    assert sig["seal_status"] == "valid" and sig["picture_check"] == "match"

    rsa_serial = next(t["serial"] for t in tokens if t["label"] == demo.DEMO_LABEL)
    refused = cli("stamp", str(source), "--seal", "张三", "--pages", "1", "--at", "100,100", "--token", rsa_serial,
                  "--pin-stdin", "--out", str(tmp_path / "rsa.ofd"))  # fmt: skip
    assert refused.returncode != 0 and "SM2" in refused.stderr, refused.stderr
    assert not (tmp_path / "rsa.ofd").exists()


def test_stamp_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks/bench_ofd_stamp.py on a 3-page OFD: it runs and reports a line for docs/performance.md."""
    import sys

    sys.path.insert(0, str(INTEROP.parent.parent.parent))
    from benchmarks.bench_ofd_stamp import bench_ofd_stamp, report_line

    timing = bench_ofd_stamp(tmp_path, pages=3, repeat=1)
    assert len(timing.samples) == 1 and "stamp a 3-page OFD" in report_line(timing, 3)


@pytest.mark.parametrize("name", ["signedFile", "SESV4SignDoc"])
def test_stamping_after_another_implementation_keeps_its_signature_as_it_was(
    desk: Sm2Desk, tmp_path: Path, name: str
) -> None:
    """OFDs signed by other software: their signature's files are untouched, so its verdict is unchanged
    (SESV4SignDoc's was already invalid: expired seal), and ours is valid beside it."""
    source = INTEROP / f"{name}.ofd"
    target = tmp_path / f"{name}.signed.ofd"
    stamp(desk, source, SpotPlacement((60.0, 60.0)), target)
    check_new_signature(desk, source, target, tmp_path)
    before = verify_ofd(source, trust_roots=[desk.identity.root]).signatures
    after = verify_ofd(target, trust_roots=[desk.identity.root]).signatures
    assert len(after) == len(before) + 1
    for old, new in zip(before, after, strict=False):
        assert (new.intact, new.valid, new.file_changes, new.seal_status) == (
            old.intact, old.valid, old.file_changes, old.seal_status
        )
    assert after[-1].intact and after[-1].valid and after[-1].seal_status == "valid"


def test_a_package_without_namespace_is_stamped_in_its_own_style(tmp_path: Path) -> None:
    """sign_ofd with a software SM2 key (the same Sm2MessageSigner protocol as the token's): an OFD whose
    XML has no namespace gets its Signatures link in OFD.xml without one (new files use the standard
    namespace), and verifies."""
    import datetime as dt

    from ofd_documents import minimal_parts, write_ofd
    from ofd_sign_helpers import SealHolder

    from app.core import placement as geo
    from app.core.ofd import text as ofd_text
    from app.core.ofd.sign import sign_ofd, stamps_for_spots

    parts = {
        name: text.replace(' xmlns:ofd="http://www.ofdspec.org/2016"', "").replace("ofd:", "")
        for name, text in minimal_parts().items()
    }
    source = write_ofd(tmp_path / "plain.ofd", parts)
    holder = SealHolder.create()
    ofd = read_ofd(source)
    try:
        spots = geo.spots_on_pages(ofd_text.page_geometries(ofd), [0], (100.0, 150.0), (40.0, 40.0))
        with (tmp_path / "plain.signed.ofd").open("wb") as out:
            signed = sign_ofd(ofd, out, signer=holder.signer, seal_der=holder.seal_der,
                              stamps=stamps_for_spots(ofd, spots), moment=dt.datetime.now(dt.UTC))
    finally:
        ofd.close()
    after = parts_of(tmp_path / "plain.signed.ofd")
    assert b"<Signatures>/Doc_0/Signs/Signatures.xml</Signatures>" in after["OFD.xml"]
    assert b'<ofd:Signature ID="1" Type="Seal"' in after[signed.signatures_part]
    assert len(holder.signer.signed) == 1  # the key signed once: the DER TBS_Sign
    assert holder.signer.signed[0] == parse_ses_signature(after[f"{signed.signature_part[:-13]}SignedValue.dat"]).tbs_der
    (sig,) = verify_ofd(tmp_path / "plain.signed.ofd", trust_roots=[holder.root_der]).signatures
    assert sig.intact and sig.valid and sig.seal_status == "valid"


def test_a_damaged_ofd_is_a_typed_error_and_nothing_is_written(desk: Sm2Desk, tmp_path: Path) -> None:
    from app.core.errors import OfdDamaged

    broken = tmp_path / "broken.ofd"
    broken.write_bytes((INTEROP / "helloworld.ofd").read_bytes()[:300])
    target = tmp_path / "broken.signed.ofd"
    with pytest.raises(OfdDamaged):
        preflight(StampRequest(broken, SpotPlacement((50.0, 50.0)), output_path=target))
    with pytest.raises(OfdDamaged):
        stamp(desk, broken, SpotPlacement((50.0, 50.0)), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.ofd"]
