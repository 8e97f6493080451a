"""Turn raw document text into clean prose: Unicode, web boilerplate, title and date."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from bs4 import BeautifulSoup


@dataclass(frozen=True)
class CleanText:
    """Cleaned body text with the title and publication date found in it (if any)."""

    text: str
    title: str
    date: str | None


# Lines that are boilerplate on any site; a corpus's own (its site's menus, related-link strips,
# photo credits) come from settings.boilerplate_lines / boilerplate_inline (see Boilerplate).
_BOILERPLATE_LINE = [
    re.compile(r"^Contact Us\b", re.I),
    re.compile(r"Terms and Conditions|Privacy Policy", re.I),
    re.compile(r"^Home\s*(>|»|ยป)", re.I),  # breadcrumbs
    re.compile(r"^(Tel|Fax|E-?mail|Phone|Mobile)\s*[:：]", re.I),
    re.compile(r"^©"),  # photo or site copyright credits
    re.compile(r"^[^.!?]{0,60}\s(»|ยป)\s"),  # "China News & Articles » Title" breadcrumbs
]


@dataclass(frozen=True)
class Boilerplate:
    """A corpus's own boilerplate: whole lines to drop and spans to cut out of lines (regexes)."""

    lines: tuple[re.Pattern[str], ...] = ()
    inline: tuple[re.Pattern[str], ...] = ()


@lru_cache(maxsize=32)
def boilerplate(lines: tuple[str, ...], inline: tuple[str, ...]) -> Boilerplate:
    """Return the compiled boilerplate patterns (settings.boilerplate_lines / boilerplate_inline).

    Raises ValueError naming a pattern that is not a valid regular expression.
    """
    def compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
        out = []
        for p in patterns:
            try:
                out.append(re.compile(p))
            except re.error as exc:
                raise ValueError(f"The boilerplate pattern {p!r} is not a regular expression: {exc}") from exc
        return tuple(out)

    return Boilerplate(compiled(lines), compiled(inline))
_ISO_DATE = re.compile(r"\b((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})\b")
_DATE_LINE = re.compile(
    r"^\s*(?:date|updated|published|posted)\s*[:：]?\s*((?:19|20)\d{2}-\d{1,2}-\d{1,2})\b\s*", re.I
)
# The one list of month and weekday names, in order; other modules build their patterns from it.
MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Regex alternations of them: lower-case for case-insensitive patterns, capitalised (months with
# their abbreviations) for patterns where the capital is the point ("Atlanta Thursday" is no name).
MONTH_WORDS = "|".join(MONTHS)
WEEKDAY_WORDS = "|".join(WEEKDAYS)
MONTH_NAMES = "|".join(m.title() for m in MONTHS) + "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
WEEKDAY_NAMES = "|".join(d.title() for d in WEEKDAYS)
_MONTH_DAY = re.compile(rf"\b({MONTH_WORDS})\s+(\d{{1,2}})\b", re.I)
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A run of this many characters without a space (CJK text aside, which has no spaces) is not a
# word but a data blob: base64, minified script, a "line" of one repeated character. It has
# nothing to cite, and the chunker would spend a tokenizer call on each of its characters
# (measured: a 1 MB run took 4 minutes to chunk; real words and URLs stay far below 200).
MAX_WORD_CHARS = 200
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_BLOB = re.compile(rf"[^\s{_CJK}]{{{MAX_WORD_CHARS},}}")


def html_to_text(html: str) -> str:
    """Return the visible text of an HTML page, without scripts, styles and navigation."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "form", "iframe"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    body = soup.get_text("\n")
    return f"{title}\n\n{body}" if title else body


def normalise_unicode(text: str) -> str:
    """NFC-normalise and drop invisible and control characters.

    NFC, not NFKC: NFKC would turn "km²" into "km2" and break quoted figures.
    """
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\t", " ")


def _is_boilerplate(line: str, own: Boilerplate) -> bool:
    return any(p.search(line) for p in _BOILERPLATE_LINE) or any(p.search(line) for p in own.lines)


def _find_date(lines: list[str]) -> tuple[str | None, list[str]]:
    """Return an ISO date found in the text and the lines with a leading date stamp removed."""
    for i, line in enumerate(lines):
        m = _DATE_LINE.match(line)
        if m:
            y, mo, d = (int(x) for x in m.group(1).split("-"))
            rest = line[m.end() :].strip()
            lines = lines[:i] + ([rest] if rest else []) + lines[i + 1 :]
            return f"{y:04d}-{mo:02d}-{d:02d}", lines
    text = "\n".join(lines)
    m = _ISO_DATE.search(text)
    if m:
        y, mo, d = (int(x) for x in m.groups())
        return f"{y:04d}-{mo:02d}-{d:02d}", lines
    # An event date in prose: "the 2023 ... Conference held on January 11" (year in the sentence).
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        md = _MONTH_DAY.search(sentence)
        year = _YEAR.search(sentence)
        if md and year:
            month = MONTHS.index(md.group(1).lower()) + 1
            return f"{int(year.group(1)):04d}-{month:02d}-{int(md.group(2)):02d}", lines
    # Undated profiles and features: the latest year they mention is the best estimate of when
    # they were written, which is what ordering conflicting figures by recency needs.
    years = [int(y) for y in _YEAR.findall(text)]
    return (str(max(years)) if years else None), lines


def _find_title(lines: list[str], fallback: str) -> str:
    """Return the first headline-like line: short, no final full stop, not a byline."""
    for line in lines[:8]:
        words = line.split()
        if 3 <= len(words) <= 16 and not line.rstrip().endswith((".", ":", ",")) and line[0].isupper():
            return line.strip()
    first = next((ln for ln in lines if ln.strip()), "")
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    words = sentence.split()
    if words:
        return " ".join(words[:12]) + ("…" if len(words) > 12 else "")
    return fallback


def clean_text(raw: str, fallback_title: str, own: Boilerplate = Boilerplate()) -> CleanText:  # noqa: B008
    """Return the cleaned text of one document with its title and date.

    Boilerplate lines (contact banners, breadcrumbs, credits, and the corpus's `own` patterns)
    are removed whole, `own.inline` spans cut out; paragraphs are separated by one blank line.
    """
    text = normalise_unicode(raw)
    text = _BLOB.sub(" ", text)
    for pattern in own.inline:
        text = pattern.sub("", text)
    lines = [re.sub(r"[ ]{2,}", " ", ln).strip() for ln in text.split("\n")]
    lines = [ln for ln in lines if ln and not _is_boilerplate(ln, own)]
    # A lone short line repeated (e.g. the title again at the bottom) is noise the second time.
    seen: set[str] = set()
    kept: list[str] = []
    for ln in lines:
        if len(ln) < 120 and ln in seen:
            continue
        seen.add(ln)
        kept.append(ln)
    date, kept = _find_date(kept)
    title = _find_title(kept, fallback_title)
    return CleanText(text="\n\n".join(kept), title=title, date=date)
