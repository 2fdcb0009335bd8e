"""Benchmark: OFD in the document view — open a 100-page OFD to the first page painted, render a page.

* open → first page painted: `open_document` (the whole package read: every page's XML parsed, sizes
  known) + `PageView.set_document` + the first paint (page 1 drawn into the display PDF and rendered);
  a fresh view per run (bench_gui.bench_open).
* render, first time: `Document.render(page, 150)` of a page never shown before (its display copy is
  built from the OFD objects, then rendered), cycling over the pages.
* render again: the same page at 150 dpi once its display copy exists (what zooming and scrolling back cost).

The document: 100 A4 pages, each with 25 lines of Chinese text (39 glyphs, DeltaX "g" runs, the 宋体 font
drawn with the built-in CJK fallback), a heading and a filled box.

Run alone: `QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_ofd.py`; the numbers go into the
OFD section of docs/performance.md by hand (run_all.py does not run it).
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_gui import bench_open  # noqa: E402
from benchmarks.common import Timing, measure  # noqa: E402

OPEN_TARGET_S = 0.25
RENDER_TARGET_S = 0.060
NS = "http://www.ofdspec.org/2016"


def make_many_pages_ofd(path: Path, pages: int = 100) -> Path:
    """A `pages`-page OFD of text lines (see the module docstring)."""
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", f'{head}<ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD"><ofd:DocBody>'
                         "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        page_list = "".join(f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(pages))
        archive.writestr("Doc_0/Document.xml", f'{head}<ofd:Document xmlns:ofd="{NS}"><ofd:CommonData><ofd:PageArea>'
                         "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml"
                         f"</ofd:PublicRes></ofd:CommonData><ofd:Pages>{page_list}</ofd:Pages></ofd:Document>")
        archive.writestr("Doc_0/PublicRes.xml", f'{head}<ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
                         '<ofd:Font ID="3" FontName="宋体"/></ofd:Fonts></ofd:Res>')
        for i in range(pages):
            lines = "".join(
                f'<ofd:TextObject ID="{100 + n}" Boundary="20 {40 + n * 9} 170 8" Font="3" Size="4.2">'
                f'<ofd:TextCode X="0" Y="4.2" DeltaX="g 38 4.2">第{i + 1:03d}页第{n + 1:02d}行：电子印章客户端性能测试文本内容示例用于基准</ofd:TextCode>'
                "</ofd:TextObject>"
                for n in range(25)
            )
            archive.writestr(
                f"Doc_0/Pages/Page_{i}/Content.xml",
                f'{head}<ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer ID="2">'
                f'<ofd:TextObject ID="4" Boundary="20 20 170 12" Font="3" Size="8"><ofd:TextCode X="0" Y="8" '
                f'DeltaX="g 5 8">基准测试文档</ofd:TextCode></ofd:TextObject>{lines}'
                '<ofd:PathObject ID="5" Boundary="20 270 170 10" Fill="true"><ofd:FillColor Value="200 30 30"/>'
                "<ofd:AbbreviatedData>M 0 0 L 170 0 L 170 10 L 0 10 C</ofd:AbbreviatedData></ofd:PathObject>"
                "</ofd:Layer></ofd:Content></ofd:Page>",
            )
    return path


@dataclass
class OfdResult:
    pages: int
    open_first_paint: Timing
    render_first: Timing
    render_again: Timing


def bench_ofd(work: Path, *, pages: int = 100, repeat: int = 5) -> OfdResult:
    from app.core.document import open_document

    work.mkdir(parents=True, exist_ok=True)
    ofd = make_many_pages_ofd(work / f"pages{pages}.ofd", pages)
    opened = bench_open(ofd, repeat=repeat, warmup=1)
    with open_document(ofd) as document:
        count = document.page_count
        first = measure(lambda i: document.render(1 + i % (count - 1), 150), min(repeat * 4, count - 1), warmup=0)
        again = measure(lambda i: document.render(1 + i % (count - 1), 150), repeat * 4, warmup=1)
    return OfdResult(pages, opened, first, again)


def report_lines(result: OfdResult) -> list[str]:
    def ms(timing: Timing) -> str:
        return f"{timing.median * 1000:.0f} ms (min {timing.min * 1000:.0f})"

    def verdict(timing: Timing, target: float) -> str:
        return "**met**" if timing.median <= target else "**missed**"

    return [
        "| measurement | median (min) | target | |",
        "|---|---|---|---|",
        f"| open a {result.pages}-page OFD → first page painted | {ms(result.open_first_paint)} | "
        f"≤ {OPEN_TARGET_S * 1000:.0f} ms | {verdict(result.open_first_paint, OPEN_TARGET_S)} |",
        f"| render a page at 150 dpi, first time (display copy built) | {ms(result.render_first)} | "
        f"≤ {RENDER_TARGET_S * 1000:.0f} ms | {verdict(result.render_first, RENDER_TARGET_S)} |",
        f"| render a page at 150 dpi again | {ms(result.render_again)} | ≤ {RENDER_TARGET_S * 1000:.0f} ms | "
        f"{verdict(result.render_again, RENDER_TARGET_S)} |",
    ]


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        print("\n".join(report_lines(bench_ofd(Path(work)))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
