"""The whole stamping path on the demo key (real SoftHSM), checked with pdfsig, qpdf, pyHanko and pixels."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from documents import A4, make_pdf, red_box_mm
from verifiers import pdfsig, pdfsig_fields, qpdf_check

from app.core.errors import ApprovalRequired, DocumentDamaged, DocumentEncrypted, OutputIsInput
from app.core.ses import kinds
from app.core.stamping import (
    CrossPagePlacement,
    KeywordPlacement,
    SpotPlacement,
    Stamper,
    StampOptions,
    StampRequest,
)
from app.core.usage.log import UsageLog

MM = 25.4 / 72


@pytest.fixture
def log(tmp_path: Path):
    usage_log = UsageLog(tmp_path / "usage.sqlite3")
    yield usage_log
    usage_log.close()


def seal_id(demo_key, seal_type: int) -> str:
    return next(s.es_id for s in demo_key.seals if s.seal_type == seal_type)


def stamper(session, demo_key, log, seal_type=kinds.CONTRACT, **options) -> Stamper:
    return Stamper(session, seal_id(demo_key, seal_type), usage_log=log, options=StampOptions(**options))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def centre(box):
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def assert_signed_and_whole(path: Path, expected_signatures: int = 1) -> None:
    """pdfsig: that many signature fields, every entry valid, the last field covering the whole file
    (poppler < 23 lists a field once per widget: every entry must check out)."""
    fields = pdfsig_fields(path)
    entries = [e for group in fields.values() for e in group]
    assert len(fields) == expected_signatures, [e.text for e in entries]
    assert all(e.valid for e in entries), [e.text for e in entries]
    assert all(e.total_document for e in list(fields.values())[-1])
    ok, text = qpdf_check(path)
    assert ok, text


def test_spot_on_page_two_with_ec_key(tmp_path, session, demo_key, log):
    source = make_pdf(tmp_path / "contract.pdf", pages=3)
    before = sha256(source)
    result = stamper(session, demo_key, log).stamp(
        StampRequest(source, SpotPlacement((120.0, 200.0), pages="2"), approval_ref="SP-2026-001", purpose="合同签订")
    )
    assert result.output_path == tmp_path / "contract.signed.pdf"
    assert sha256(source) == before  # input untouched
    assert_signed_and_whole(result.output_path)

    box = red_box_mm(result.output_path, 1)
    assert box is not None
    cx, cy = centre(box)
    assert abs(cx - 120) <= 0.5 and abs(cy - 200) <= 0.5
    assert abs((box[2] - box[0]) - 42) <= 1.0 and abs((box[3] - box[1]) - 42) <= 1.0
    assert red_box_mm(result.output_path, 0) is None and red_box_mm(result.output_path, 2) is None

    records = log.records()
    assert len(records) == 1 and records[0].record_id == result.record_id
    record = records[0]
    assert record.document_sha256 == sha256(result.output_path)
    assert record.approval_ref == "SP-2026-001" and record.purpose == "合同签订"
    assert record.placements[0].page == 2
    assert log.verify().ok
    assert not list(tmp_path.glob("*.part"))


def test_multi_page_with_rsa_duty_seal(tmp_path, session, demo_key, log):
    source = make_pdf(tmp_path / "minutes.pdf", pages=4)
    result = stamper(session, demo_key, log, kinds.DUTY_LEGAL_REPRESENTATIVE).stamp(
        StampRequest(source, SpotPlacement((160.0, 250.0), pages="1-2,-1"))
    )
    assert_signed_and_whole(result.output_path)
    for page in (0, 1, 3):
        box = red_box_mm(result.output_path, page)
        assert box is not None, page
        cx, cy = centre(box)
        assert abs(cx - 160) <= 0.5 and abs(cy - 250) <= 0.5
    assert red_box_mm(result.output_path, 2) is None
    assert [p.page for p in log.records()[0].placements] == [1, 2, 4]


def test_keyword_every_match(tmp_path, session, demo_key, log):
    source = make_pdf(tmp_path / "kw.pdf", pages=3, keyword_at={0: (400, 700), 2: (300, 500)})
    result = stamper(session, demo_key, log, kinds.PERSONAL).stamp(
        StampRequest(source, KeywordPlacement("（盖章）", every=True))
    )
    assert_signed_and_whole(result.output_path)
    assert [s.page_index for s in result.spots] == [0, 2]
    assert red_box_mm(result.output_path, 1) is None
    # the keyword's glyphs are ~14 pt high around the baseline: centre ≈ (x + 3.5 glyphs, y - 5 pt)
    for page, (x, y) in ((0, (400, 700)), (2, (300, 500))):
        cx, cy = centre(red_box_mm(result.output_path, page))
        assert abs(cx - (x + 2 * 14) * MM) < 4 and abs(cy - (y - 5) * MM) < 4


def test_cross_page_seal_slices_meet_the_right_edge(tmp_path, session, demo_key, log):
    source = make_pdf(tmp_path / "bundle.pdf", pages=4)
    result = stamper(session, demo_key, log).stamp(
        StampRequest(source, CrossPagePlacement(pages="all"), approval_ref="SP-7")
    )
    assert_signed_and_whole(result.output_path)
    width_mm = A4[0] * MM
    height_mm = A4[1] * MM
    widths = []
    for page in range(4):
        box = red_box_mm(result.output_path, page)
        assert box is not None
        assert abs(box[2] - width_mm) <= 0.5  # flush with the right edge
        assert abs(centre(box)[1] - height_mm / 2) <= 1.0
        widths.append(box[2] - box[0])
    assert abs(sum(widths) - 42) <= 2.0


def test_rotated_and_cropped_pages(tmp_path, session, demo_key, log):
    source = make_pdf(tmp_path / "rot.pdf", pages=2, rotations={0: 90}, cropboxes={1: (40, 50, 540, 800)})
    stamp = stamper(session, demo_key, log, kinds.PERSONAL)
    result = stamp.stamp(StampRequest(source, SpotPlacement((50.0, 40.0), pages="1-2")))
    assert_signed_and_whole(result.output_path)
    for page in (0, 1):
        box = red_box_mm(result.output_path, page)
        assert box is not None
        cx, cy = centre(box)
        assert abs(cx - 50) <= 0.5 and abs(cy - 40) <= 0.5, (page, box)
        assert abs((box[2] - box[0]) - (box[3] - box[1])) <= 1.0  # upright square, not stretched


def test_official_seal_needs_approval_and_nothing_is_written(tmp_path, session, demo_key, log):
    source = make_pdf(tmp_path / "a.pdf", pages=1)
    with pytest.raises(ApprovalRequired):
        stamper(session, demo_key, log).stamp(StampRequest(source, SpotPlacement((100.0, 100.0))))
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("usage")) == ["a.pdf"]
    assert log.records() == []


def test_output_never_replaces_input(tmp_path, session, demo_key, log):
    source = make_pdf(tmp_path / "a.pdf", pages=1)
    with pytest.raises(OutputIsInput):
        stamper(session, demo_key, log, kinds.PERSONAL).stamp(
            StampRequest(source, SpotPlacement((100.0, 100.0)), output_path=source)
        )


def test_second_signature_keeps_the_first_valid(tmp_path, session, demo_key, log):
    source = make_pdf(tmp_path / "two.pdf", pages=2)
    first = stamper(session, demo_key, log, kinds.DUTY_LEGAL_REPRESENTATIVE).stamp(
        StampRequest(source, SpotPlacement((60.0, 250.0), pages="2"))
    )
    second = stamper(session, demo_key, log, kinds.PERSONAL).stamp(
        StampRequest(first.output_path, SpotPlacement((150.0, 250.0), pages="2"))
    )
    signatures = pdfsig(second.output_path)
    assert len(signatures) == 2 and all(s.valid for s in signatures)
    assert not signatures[0].total_document and signatures[1].total_document

    from app.core.verification import verify_document

    report = verify_document(second.output_path, trust_roots=[_root_der(demo_key)])
    assert len(report.signatures) == 2
    assert all(s.intact and s.valid and s.trusted for s in report.signatures)
    assert report.signatures[0].modification_level in ("none", "form_filling", "annotations")
    assert {s.seal_status for s in report.signatures} == {"valid"}
    assert report.all_valid
    untrusted = verify_document(second.output_path)
    assert not untrusted.all_valid and not any(s.trusted for s in untrusted.signatures)


def test_batch_continues_past_bad_files(tmp_path, session, demo_key, log):
    good = [make_pdf(tmp_path / f"doc{i}.pdf", pages=1) for i in range(3)]
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7\n this is not really a pdf")
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(good[0].read_bytes()[:400])
    encrypted = tmp_path / "locked.pdf"
    import pymupdf as fitz

    with fitz.open(good[1]) as doc:
        doc.save(encrypted, encryption=fitz.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    order = [good[0], garbage, good[1], truncated, encrypted, good[2]]
    reports = []
    items = stamper(session, demo_key, log, kinds.PERSONAL).stamp_batch(
        [StampRequest(p, SpotPlacement((100.0, 100.0))) for p in order],
        progress=lambda n, total, req, res, err: reports.append((n, total, err is None)),
    )
    assert [item.error is None for item in items] == [True, False, True, False, False, True]
    assert isinstance(items[1].error, DocumentDamaged)
    assert isinstance(items[3].error, DocumentDamaged)
    assert isinstance(items[4].error, DocumentEncrypted)
    assert reports == [(n, 6, ok) for n, ok in zip(range(1, 7), [True, False, True, False, False, True], strict=True)]
    for item in items:
        if item.result:
            assert_signed_and_whole(item.result.output_path)
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*"))
    assert not (tmp_path / "garbage.signed.pdf").exists()
    assert [r.seq for r in log.records()] == [1, 2, 3]
    assert log.verify().ok


def _root_der(demo_key) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_pem_x509_certificate(demo_key.root_cert_path.read_bytes()).public_bytes(Encoding.DER)


def test_timestamped_stamping_with_a_local_tsa(tmp_path, session, demo_key, log):
    from pdf_helpers import SoftwareCA, running_tsa

    from app.core.verification import verify_document

    tsa_ca = SoftwareCA.create("Test TSA Root")
    source = make_pdf(tmp_path / "t.pdf", pages=1)
    with running_tsa(tsa_ca) as url:
        result = stamper(session, demo_key, log, kinds.PERSONAL, tsa_url=url).stamp(
            StampRequest(source, SpotPlacement((100.0, 150.0)))
        )
    assert_signed_and_whole(result.output_path)
    report = verify_document(result.output_path, trust_roots=[_root_der(demo_key), tsa_ca.root_der])
    sig = report.signatures[0]
    assert sig.timestamp_time is not None and sig.timestamp_trusted
    assert abs((sig.timestamp_time - sig.signing_time).total_seconds()) < 60
    assert report.all_valid


def test_unreachable_tsa_fails_cleanly(tmp_path, session, demo_key, log):
    from app.core.errors import NetworkError

    source = make_pdf(tmp_path / "t.pdf", pages=1)
    with pytest.raises(NetworkError):
        stamper(session, demo_key, log, kinds.PERSONAL, tsa_url="http://127.0.0.1:9/tsa").stamp(
            StampRequest(source, SpotPlacement((100.0, 150.0)))
        )
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("usage")) == ["t.pdf"]
    assert log.records() == []


def test_counterparty_cross_page_seal_keeps_earlier_seals_valid(tmp_path, session, demo_key, log):
    """Everyday case: our cross-page seal on a contract that already carries a cross-page seal."""
    from app.core.verification import verify_document

    source = make_pdf(tmp_path / "contract.pdf", pages=3, keyword_at={2: (380, 700)})
    first = stamper(session, demo_key, log).stamp(
        StampRequest(source, CrossPagePlacement(pages="all"), approval_ref="SP-A")
    )
    second = stamper(session, demo_key, log).stamp(
        StampRequest(first.output_path, KeywordPlacement("（盖章）"), approval_ref="SP-A")
    )
    third = stamper(session, demo_key, log, kinds.DUTY_LEGAL_REPRESENTATIVE).stamp(
        StampRequest(second.output_path, CrossPagePlacement(pages="all", edge="left"))
    )
    assert_signed_and_whole(third.output_path, 3)
    report = verify_document(third.output_path, trust_roots=[_root_der(demo_key)])
    # the pictures are widgets of each signature field: form filling for the earlier signatures
    assert [s.modification_level for s in report.signatures] == ["form_filling", "form_filling", "none"]
    assert report.all_valid
    assert log.verify().ok and [r.seq for r in log.records()] == [1, 2, 1]  # seq is per holder (cert)


def test_output_appearing_meanwhile_is_never_replaced_and_the_record_is_voided(tmp_path, session, demo_key, log):
    """Another program creates the output file while we sign: we must not replace it, and the usage
    log must say the stamping's output never appeared (a void record), chain intact."""
    source = make_pdf(tmp_path / "race.pdf", pages=1)
    target = tmp_path / "race.signed.pdf"
    stamp = stamper(session, demo_key, log, kinds.PERSONAL)
    real_signer = stamp._signer

    class IntruderSigner:
        certificate = real_signer.certificate
        key_type = real_signer.key_type
        scheme = real_signer.scheme

        def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
            if not target.exists():
                target.write_bytes(b"somebody else's file")
            return real_signer.sign_digest(digest, hash_name)

    stamp._signer = IntruderSigner()
    from app.core.errors import OutputError

    with pytest.raises(OutputError):
        stamp.stamp(StampRequest(source, SpotPlacement((100.0, 100.0)), output_path=target))
    assert target.read_bytes() == b"somebody else's file"
    records = log.records()
    assert [r.outcome for r in records] == ["signed", "void"]
    assert records[1].refers_to == records[0].record_id
    assert log.verify().ok


def test_copies_on_many_pages_embed_the_picture_once(tmp_path, session, demo_key, log):
    """Regression (review): 10 copies of one seal must not carry 10 copies of its picture."""
    import pymupdf

    source = make_pdf(tmp_path / "many.pdf", pages=10)
    result = stamper(session, demo_key, log, kinds.PERSONAL).stamp(
        StampRequest(source, SpotPlacement((100.0, 100.0), pages="all"))
    )
    assert_signed_and_whole(result.output_path)
    def is_image(doc, xref: int) -> bool:
        try:
            return doc.xref_get_key(xref, "Subtype") == ("name", "/Image")
        except Exception:  # noqa: BLE001 - a free or unused entry of the xref table
            return False

    with pymupdf.open(result.output_path) as doc:
        images = [x for x in range(1, doc.xref_length()) if is_image(doc, x)]
    assert len(images) == 2  # the picture and its alpha mask (/SMask), shared by all ten copies
    assert all(red_box_mm(result.output_path, page) is not None for page in range(10))
