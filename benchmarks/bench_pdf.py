"""PDF reading speed: pages per second for extraction and for a whole index build of a 200-page
PDF, side by side with a plain-text file of the same words, in one process (model loaded once).

The PDF is generated with reportlab from the bundled articles' paragraphs (two columns on every
other page, a table every tenth page, a running header and page numbers); the text file holds the
same paragraphs. Results go to benchmarks/results/pdf.json.

    .venv/bin/python benchmarks/bench_pdf.py [--pages 200]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import getSampleStyleSheet  # noqa: E402
from reportlab.lib.units import cm  # noqa: E402
from reportlab.platypus import (  # noqa: E402
    BaseDocTemplate,
    Frame,
    FrameBreak,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Table,
)

from chatbot.corpus import scan_corpus, to_document  # noqa: E402
from chatbot.embedding import make_encoder  # noqa: E402
from chatbot.indexer import build_index  # noqa: E402
from chatbot.readers import read  # noqa: E402
from chatbot.settings import load_settings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work" / "pdf"
OUT = REPO / "benchmarks" / "results" / "pdf.json"
PARAGRAPHS_PER_PAGE = 4


def _paragraphs() -> list[str]:
    """Return the bundled articles' paragraphs of 30 words or more."""
    docs = scan_corpus(REPO / "corpus", 5_000_000).documents
    return [p for d in docs for p in d.text.split("\n\n") if len(p.split()) >= 30]


def make_files(pages: int, folder: Path) -> tuple[Path, Path]:
    """Write bench.pdf (`pages` pages) and bench.txt (the same paragraphs) into two subfolders."""
    paras = _paragraphs()
    styles = getSampleStyleSheet()
    width, height = A4
    m, gap = 2 * cm, 1 * cm
    col = (width - 2 * m - gap) / 2

    def header(canvas, doc):  # type: ignore[no-untyped-def]
        canvas.setFont("Helvetica", 8)
        canvas.drawString(m, height - 1.2 * cm, "Liangjiang benchmark report")
        canvas.drawRightString(width - m, 1.2 * cm, f"Page {doc.page}")

    buf = io.BytesIO()
    doc = BaseDocTemplate(buf, pagesize=A4, title="Benchmark report")
    doc.addPageTemplates([
        PageTemplate("one", [Frame(m, m, width - 2 * m, height - 2 * m)], onPage=header),
        PageTemplate("two", [Frame(m, m, col, height - 2 * m), Frame(m + col + gap, m, col, height - 2 * m)],
                     onPage=header),
    ])
    story: list[object] = []
    used: list[str] = []
    for page in range(pages):
        # Numbered, so that no two passages are the same text (the build embeds each text once).
        chosen = [
            f"Report item {page + 1}.{k + 1}: {paras[(page * PARAGRAPHS_PER_PAGE + k) % len(paras)]}"
            for k in range(PARAGRAPHS_PER_PAGE)
        ]
        used += chosen
        two = page % 2 == 1
        story.append(NextPageTemplate("two" if (page + 1) % 2 == 1 else "one"))
        half = PARAGRAPHS_PER_PAGE // 2
        story += [Paragraph(p, styles["BodyText"]) for p in chosen[:half]]
        if two:
            story.append(FrameBreak())
        story += [Paragraph(p, styles["BodyText"]) for p in chosen[half:]]
        if page % 10 == 9:
            story.append(Table([["Item", "Value"], [f"Row {page}", f"{page * 3} billion yuan"]]))
        if page < pages - 1:
            story.append(PageBreak())
    doc.build(story)
    pdf_dir, txt_dir = folder / "pdf", folder / "txt"
    for d in (pdf_dir, txt_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    (pdf_dir / "bench.pdf").write_bytes(buf.getvalue())
    (txt_dir / "bench.txt").write_text("\n\n".join(used), encoding="utf-8")
    return pdf_dir / "bench.pdf", txt_dir / "bench.txt"


def _extract_seconds(path: Path, repeats: int = 3) -> tuple[float, int]:
    """Return the best time to read and clean the file, and its passage-ready text length."""
    data = path.read_bytes()
    best, chars = float("inf"), 0
    for _ in range(repeats):
        t = time.perf_counter()
        doc = to_document(path.name, read(data, path.suffix), "x")
        best = min(best, time.perf_counter() - t)
        chars = len(doc.text)
    return best, chars


def main() -> None:
    """Run the benchmark and write benchmarks/results/pdf.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    pdf, txt = make_files(args.pages, WORK)
    encoder = make_encoder(load_settings())
    encoder.encode_passages(["warm up"])
    result: dict[str, object] = {"pages": args.pages, "machine": platform.processor() or platform.machine(),
                                 "cpus": os.cpu_count(), "pdf_bytes": pdf.stat().st_size}
    for name, path in (("pdf", pdf), ("text", txt)):
        seconds, chars = _extract_seconds(path)
        index = WORK / f"index-{name}"
        shutil.rmtree(index, ignore_errors=True)
        settings = load_settings(corpus=path.parent, index=index, chinese_index=False)
        t = time.perf_counter()
        report = build_index(settings, encoder, progress=False)
        build = time.perf_counter() - t
        result[name] = {
            "extract_s": round(seconds, 4), "extract_pages_per_s": round(args.pages / seconds, 1),
            "chars": chars, "build_s": round(build, 2), "build_pages_per_s": round(args.pages / build, 2),
            "passages": report.chunks, "embedded": report.embedded,
        }
        print(name, result[name], flush=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"Wrote {OUT}")


if __name__ == "__main__":
    main()
