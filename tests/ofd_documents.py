"""Small OFD packages made in tests: a valid minimal document to start from, and hostile variants."""

from __future__ import annotations

import zipfile
from pathlib import Path

NS = "http://www.ofdspec.org/2016"

OFD_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>t</ofd:DocID>'
    "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
)
DOCUMENT_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<ofd:Document xmlns:ofd="{NS}"><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>'
    "</ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
    '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>'
)
PUBLIC_RES = (
    f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
    '<ofd:Font ID="3" FontName="宋体"/></ofd:Fonts></ofd:Res>'
)
PAGE_XML = (
    f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer ID="2">'
    '<ofd:TextObject ID="4" Boundary="20 20 100 10" Font="3" Size="5"><ofd:TextCode X="0" Y="5" '
    'DeltaX="g 3 5">骑缝章测试</ofd:TextCode></ofd:TextObject>'
    '<ofd:PathObject ID="5" Boundary="20 40 50 30" Fill="true" Stroke="false"><ofd:FillColor Value="0 0 255"/>'
    "<ofd:AbbreviatedData>M 0 0 L 50 0 L 50 30 L 0 30 C</ofd:AbbreviatedData></ofd:PathObject>"
    "</ofd:Layer></ofd:Content></ofd:Page>"
)


def minimal_parts() -> dict[str, str | bytes]:
    """The parts of a one-page A4 OFD with a text line and a blue 50×30 mm box at 20,40 mm."""
    return {
        "OFD.xml": OFD_XML,
        "Doc_0/Document.xml": DOCUMENT_XML,
        "Doc_0/PublicRes.xml": PUBLIC_RES,
        "Doc_0/Pages/Page_0/Content.xml": PAGE_XML,
    }


def write_ofd(path: Path, parts: dict[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip with `parts` written as given (names are not checked: hostile names are the point)."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in parts.items():
            archive.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return path

