"""OCR of a PDF's scanned pages with OCRmyPDF and Tesseract, where both are installed.

Pages that already have text are kept as they are (`--skip-text`). The OCR'd file is kept in a
folder by the original file's hash, so an unchanged scan is OCR'd once, not at every build.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatbot.settings import Settings

log = logging.getLogger(__name__)

ENGINE = "tesseract"
# `tesseract --list-langs` answers in well under a second; this only guards against a hung binary.
LIST_LANGUAGES_TIMEOUT_S = 30.0


class OcrFailed(Exception):
    """OCR ran but gave no usable file (timed out, crashed); the message says why, in one line."""


@dataclass(frozen=True)
class Ocred:
    """A PDF with a text layer added to its scanned pages, and the Tesseract languages used."""

    pdf: bytes
    languages: str


@dataclass(frozen=True)
class Ocr:
    """How scanned pages are OCR'd: Tesseract's languages ("eng+chi_sim"), a time limit per
    file, and the folder where OCR'd files are kept by the original's hash."""

    languages: str
    timeout_s: float
    cache_dir: Path

    def pdf(self, data: bytes) -> Ocred | None:
        """Return the PDF `data` with its scanned pages OCR'd (its other pages untouched), from
        the cache when this file was OCR'd before; None when OCR cannot run here (Tesseract,
        OCRmyPDF or all of the languages missing).

        Raises OcrFailed, with a one-line reason, when OCR times out or fails.
        """
        languages = usable_languages(self.languages)
        if languages is None:
            return None
        cached = self.cache_dir / f"{hashlib.sha256(data).hexdigest()}-{languages}.pdf"
        if cached.is_file():
            return Ocred(cached.read_bytes(), languages)
        ocred = _ocrmypdf(data, languages, self.timeout_s)
        _keep(cached, ocred)
        return Ocred(ocred, languages)


def make_ocr(settings: Settings) -> Ocr | None:
    """Return the OCR that `settings` ask for, or None when it is off (`ocr = "off"`)."""
    if settings.ocr == "off":
        return None
    return Ocr(settings.ocr_languages, settings.ocr_timeout_s, settings.ocr_cache_dir)


def unavailable_reason(languages: str) -> str | None:
    """Return why OCR in `languages` cannot run on this machine, or None when it can."""
    tesseract = shutil.which(ENGINE)
    if tesseract is None:
        return "the tesseract program is not installed (apt-get install tesseract-ocr)"
    if find_spec("ocrmypdf") is None:
        return "the ocrmypdf package is not installed (pip install ocrmypdf)"
    if not set(languages.split("+")) & _installed_languages(tesseract):
        return f"none of the Tesseract languages {languages} is installed"
    return None


def usable_languages(languages: str) -> str | None:
    """Return the installed ones of `languages` ("eng+chi_sim" → "eng" without Chinese data),
    or None when OCR cannot run here."""
    if unavailable_reason(languages) is not None:
        return None
    installed = _installed_languages(shutil.which(ENGINE) or ENGINE)
    return "+".join(lang for lang in languages.split("+") if lang in installed)


@functools.cache
def _installed_languages(tesseract: str) -> frozenset[str]:
    try:
        listed = subprocess.run(
            [tesseract, "--list-langs"], capture_output=True, text=True, timeout=LIST_LANGUAGES_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("Cannot list Tesseract's languages: %s", exc)
        return frozenset()
    # The first line is a heading ('List of available languages in "…" (3):').
    return frozenset(line.strip() for line in listed.stdout.splitlines()[1:] if line.strip())


def _ocrmypdf(data: bytes, languages: str, timeout_s: float) -> bytes:
    """Return `data` OCR'd by the ocrmypdf command (a child process, so that a time limit can
    stop it and everything it started)."""
    with tempfile.TemporaryDirectory(prefix="chatbot-ocr-") as tmp:
        source, target = Path(tmp, "in.pdf"), Path(tmp, "out.pdf")
        source.write_bytes(data)
        command = [
            sys.executable, "-m", "ocrmypdf", "--quiet", "--skip-text", "--language", languages,
            # A plain PDF, rasterised by pypdfium2, images left as they are: no Ghostscript needed,
            # and nothing spent on a file that is only read for its text.
            "--output-type", "pdf", "--rasterizer", "pypdfium", "--optimize", "0",
            str(source), str(target),
        ]
        # One OpenMP thread per Tesseract: OCRmyPDF already runs one Tesseract per core, and on
        # a busy machine Tesseract's spinning threads made one page take 84 s instead of 2 s.
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        proc = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True
        )
        try:
            _, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise OcrFailed(f"OCR gave up after {timeout_s:g} s (ocr_timeout_s)") from None
        finally:
            if proc.poll() is None:  # timed out or interrupted: stop its workers and Tesseracts too
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc.returncode != 0 or not target.is_file():
            lines = [ln.strip() for ln in err.decode(errors="replace").splitlines() if ln.strip()]
            why = lines[-1] if lines else f"ocrmypdf exit status {proc.returncode}"
            raise OcrFailed(f"OCR failed ({why})")
        return target.read_bytes()


def _keep(path: Path, data: bytes) -> None:
    """Write an OCR'd file into the cache all at once; a cache that cannot be written only costs
    OCR again next time."""
    tmp = path.with_name(f".{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("Cannot keep the OCR'd file in %s: %s", path.parent, exc)
        tmp.unlink(missing_ok=True)
