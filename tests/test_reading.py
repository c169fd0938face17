"""Decoding and bad input: line endings, BOM, encodings, and CorpusError naming file and line."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest

import toolkit
from toolkit import CorpusError
from toolkit.reading import decode_lines, read_lines
from .conftest import SEEDS

D = dt.date

GOOD_LISTING = (
    "Latest news with #Harbours\n\n"
    "Korea Herald\n10-07-2025\n- Politics\n- Korea Herald\n"
    "Harbour talks resume in Busan\n"
    "Negotiators met again on Thursday to settle the long-running harbour dispute.\n"
)
GOOD_ARTICLE = (
    "Ministers agree on fisheries pact\n"
    "Officials from both countries signed the fisheries pact on Tuesday in Busan.\n"
    "Comments\nRelated Articles\n\n"
    "Korea Times\n3 days ago\n- Korea Times\n"
    "Port strike enters third week\n"
    "Dock workers in Incheon extended their walkout over pay.\n"
)


def load(paths, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return toolkit.load_corpus(paths, **kwargs)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- decode_lines ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b"a\nb\nc", ["a", "b", "c"]),
        (b"a\nb\nc\n", ["a", "b", "c"]),  # a final newline ends the last line
        (b"a\r\nb\r\nc\r\n", ["a", "b", "c"]),
        (b"a\rb\rc\r", ["a", "b", "c"]),
        (b"a\r\n\r\nb", ["a", "", "b"]),
        (b"a\r\rb", ["a", "", "b"]),
        (b"a\n\rb", ["a", "", "b"]),  # LF then CR: two breaks
        (b"a\r\r\nb", ["a", "", "b"]),  # CR then CRLF: two breaks
        (b"a\nb\r\nc\rd", ["a", "b", "c", "d"]),  # mixed
        (b"a  \t\nb", ["a  \t", "b"]),  # decoding keeps trailing blanks
        (b"\xef\xbb\xbfa\r\nb", ["a", "b"]),  # BOM dropped
        (b"x\n\n\n", ["x", "", ""]),
    ],
)
def test_decode_lines_breaks(data, lines):
    page = decode_lines(data, "p.txt")
    assert page.lines == lines
    assert page.encoding == "utf-8"
    assert page.warnings == []


def test_decode_keeps_tabs_and_non_ascii_utf8():
    page = decode_lines("\tcaf\u00e9 \u201cquoted\u201d \u2022 Politics\n".encode(), "p.txt")
    assert page.lines == ["\tcaf\u00e9 \u201cquoted\u201d \u2022 Politics"]
    assert page.encoding == "utf-8"


def test_read_lines_missing_file(tmp_path):
    with pytest.raises(CorpusError) as info:
        read_lines(tmp_path / "missing.txt")
    assert info.value.path.endswith("missing.txt")


def test_load_corpus_missing_path(tmp_path):
    with pytest.raises(CorpusError) as info:
        load([tmp_path / "nope.txt"])
    assert info.value.path.endswith("nope.txt")
    assert "does not exist" in info.value.problem


# -- bad input raises CorpusError naming the file and the 1-based line ------------------------

BAD = {
    # name: (bytes, expected line, fragment of the problem)
    "nul_byte": (b"Latest news with #X\n\nKorea Herald\n3 days\x00 ago\n", 4, "NUL"),
    "nul_crlf": (b"Latest news with #X\r\n\r\nKorea Herald\r\n3 days\x00 ago\r\n", 4, "NUL"),
    "nul_cr": (b"Latest news with #X\r\rKorea Herald\r3 days\x00 ago\r", 4, "NUL"),
    "ff_fe_00": (b"\xff\xfe\x00", 1, "binary"),
    "utf16_page": ("Latest news with #X\nKorea Herald\n".encode("utf-16"), 1, "binary"),
    "control_char": (b"Latest news with #X\n\nKorea Herald\x0c\n", 3, "control"),
    "undefined_cp1252_byte": (
        b"Latest news with #X\r\n\r\nKorea Herald\r\n3 days ago\r\n- Politics\r\nTitle here\r\nBody \x81 text.\r\n",
        7,
        "0x81",
    ),
    "mostly_non_ascii": (b"ab\xff\xfe\xfd\xfc\n", 1, "0xff"),
    "bad_utf8_line_3_with_bom": (b"\xef\xbb\xbfLine one\nLine two\n\xc3\xc3\xc3\xc3\xc3\xc3\xc3\n", 3, "not valid UTF-8"),
    "prose": (b"\n\nThe weather was mild on Tuesday.\nMany people walked in the park.\nIt was pleasant.\n", 3, "no known layout"),
    "prose_crlf": (b"\r\n\r\n\r\nThe weather was mild on Tuesday.\r\nMany people walked.\r\n", 4, "no known layout"),
    "listing_cut_before_body": (
        b"Latest news with #X\n\nKorea Herald\n3 days ago\n- Politics\nA title with no body\n",
        6,
        "cut off before its body",
    ),
    "listing_cut_before_body_trailing_blanks": (
        b"Latest news with #X\r\n\r\nKorea Herald\r\n3 days ago\r\n- Politics\r\nA title with no body\r\n\r\n  \r\n",
        6,
        "cut off before its body",
    ),
    "listing_cut_before_body_lone_cr": (
        b"Latest news with #X\r\rKorea Herald\r3 days ago\r- Politics\rA title with no body\r",
        6,
        "cut off before its body",
    ),
    "listing_block_without_body_mid_page": (
        b"Latest news with #X\n\nKorea Herald\n3 days ago\n- Politics\nA title with no body\n\n"
        b"Korea Times\n2 days ago\n- World\nSecond title\nSecond body sentence.\n",
        6,
        "cut off before its body",
    ),
    "listing_cut_before_title": (b"Latest news with #X\n\nKorea Herald\n3 days ago\n- Politics\n", 5, "cut off before its title"),
    "date_without_outlet": (b"Latest news with #X\n\n3 days ago\n- Politics\nTitle\nBody text here.\n", 3, "no outlet"),
    "date_after_body_sentence": (
        b"Latest news with #X\n\nKorea Herald\n3 days ago\n- Politics\nTitle one\nBody one ends here.\n"
        b"yesterday\n- Politics\nTitle two\nBody two.\n",
        8,
        "no outlet",
    ),
    "related_date_without_outlet": (
        b"Fisheries pact signed\nOfficials signed the pact.\nRelated Articles\n3 days ago\n- Politics\nTitle\nBody.\n",
        4,
        "no outlet",
    ),
    "related_cut_before_body": (
        b"Fisheries pact signed\nOfficials signed the pact.\nRelated Articles\nKorea Times\n3 days ago\n- Politics\nTitle\n",
        7,
        "cut off before its body",
    ),
    "article_header_lead_without_body": (
        b"logo\nFisheries pact signed\nFisheries pact signed\nKorea Herald6 days ago\nOrange background\n",
        2,
        "cut off before its body",
    ),
    "listing_only_invalid_date": (b"Latest news with #X\n\nKorea Herald\n31-02-2025\n- Politics\nTitle\nBody text.\n", 4, "impossible date"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_names_file_and_line(tmp_path, name):
    data, line, fragment = BAD[name]
    path = write(tmp_path, f"{name}.txt", data)
    with pytest.raises(CorpusError) as info:
        load([path])
    err = info.value
    assert Path(err.path).name == f"{name}.txt"
    assert err.line == line, err
    assert fragment.casefold() in err.problem.casefold(), err.problem
    assert str(err).startswith(f"{err.path}:{line}: ")


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n\t\n \r\n", b"\r\r\r", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n\r\n"],
    ids=["empty", "whitespace", "lone_cr_only", "bom_only", "bom_blank_lines"],
)
def test_empty_and_whitespace_only_files(tmp_path, data):
    path = write(tmp_path, "blank.txt", data)
    with pytest.raises(CorpusError) as info:
        load([path])
    err = info.value
    assert Path(err.path).name == "blank.txt"
    assert err.line is None  # no line to point at
    assert "empty" in err.problem
    assert str(err).startswith(str(path))


# -- cp1252 fallback ---------------------------------------------------------------------------


def test_cp1252_page_decodes_with_warning(tmp_path):
    data = (
        b"Latest news with #Cafes\r\n\r\n"
        b"Korea Herald\r\n10-07-2025\r\n- Culture\r\n- Korea Herald\r\n"
        b"Caf\xe9 culture booms in Seoul\r\n"
        b"The caf\xe9 owners were \x93quoted\x94 as saying business is good.\r\n"
    )
    path = write(tmp_path, "cp.txt", data)
    with pytest.warns(UserWarning, match=r"cp\.txt:7: not valid UTF-8; decoded as cp1252"):
        c = toolkit.load_corpus([path])
    assert c.report["warnings"] == ["cp.txt:7: not valid UTF-8; decoded as cp1252 (Windows Latin-1)"]
    assert c.report["files"][0]["encoding"] == "cp1252"
    r = c.articles.row(0, named=True)
    assert r["title"] == "Caf\u00e9 culture booms in Seoul"
    assert r["body"] == 'The caf\u00e9 owners were "quoted" as saying business is good.'  # quotes straightened
    assert r["published"] == D(2025, 7, 10)


def test_cp1252_first_offending_line_with_lone_cr(tmp_path):
    data = (
        b"Latest news with #Cafes\r\r"
        b"Korea Herald\r10-07-2025\r- Culture\r"
        b"Cafe culture booms\r"
        b"The owners were \x93quoted\x94 as saying caf\xe9 trade is good.\r"
    )
    path = write(tmp_path, "cr.txt", data)
    c = load([path])
    assert c.report["warnings"] == ["cr.txt:7: not valid UTF-8; decoded as cp1252 (Windows Latin-1)"]


def test_cp1252_decode_lines_unit():
    page = decode_lines(b"A plain ascii title line\nThe caf\xe9 was \x93quoted\x94 in the press.\n", "x.txt")
    assert page.encoding == "cp1252"
    assert page.lines == ["A plain ascii title line", "The caf\u00e9 was \u201cquoted\u201d in the press."]
    assert page.warnings == ["x.txt:2: not valid UTF-8; decoded as cp1252 (Windows Latin-1)"]


def test_lone_0xff_in_ascii_text_follows_cp1252_policy():
    # Documented policy (toolkit/reading.py): bytes that all decode as cp1252,
    # under 10% non-ASCII, are read as cp1252 with a warning; 0xff is 'ÿ' there.
    page = decode_lines(b"Line one is plain ascii text\nBody \xff text is here too\n", "ff.txt")
    assert page.encoding == "cp1252"
    assert page.lines[1] == "Body \u00ff text is here too"
    assert page.warnings == ["ff.txt:2: not valid UTF-8; decoded as cp1252 (Windows Latin-1)"]


def test_utf8_page_has_no_warning(tmp_path):
    path = write(tmp_path, "u.txt", GOOD_LISTING.replace("Busan", "Busan \u2014 caf\u00e9").encode())
    c = load([path])
    assert c.report["files"][0]["encoding"] == "utf-8"
    assert c.report["warnings"] == []


# -- skip_invalid ----------------------------------------------------------------------------------


def test_skip_invalid_lists_bad_files_and_keeps_good_ones(tmp_path):
    write(tmp_path, "a_good_listing.txt", GOOD_LISTING.encode())
    write(tmp_path, "b_empty.txt", b"")
    write(tmp_path, "c_binary.txt", b"Latest news\n\x00\x01\x02")
    write(tmp_path, "d_prose.txt", b"Just some prose.\nNothing else here.\n")
    write(tmp_path, "e_cut.txt", b"Latest news with #X\n\nKorea Herald\n3 days ago\n- Politics\nA title with no body\n")
    write(tmp_path, "f_good_article.txt", GOOD_ARTICLE.replace("\n", "\r\n").encode())
    c = load(tmp_path, skip_invalid=True, crawl_dates={"f_good_article.txt": D(2025, 7, 15)})
    skipped = {Path(s["file"]).name: s for s in c.report["skipped_files"]}
    assert set(skipped) == {"b_empty.txt", "c_binary.txt", "d_prose.txt", "e_cut.txt"}
    assert skipped["b_empty.txt"]["line"] is None
    assert skipped["c_binary.txt"]["line"] == 2
    assert skipped["d_prose.txt"]["line"] == 1
    assert skipped["e_cut.txt"]["line"] == 6
    assert all(s["error"] for s in skipped.values())
    assert c.articles["source_file"].to_list() == ["a_good_listing.txt", "f_good_article.txt", "f_good_article.txt"]
    assert c.articles["title"].to_list() == [
        "Harbour talks resume in Busan",
        "Ministers agree on fisheries pact",
        "Port strike enters third week",
    ]
    assert c.report["files_read"] == 2
    assert [f["file"] for f in c.report["files"]] == ["a_good_listing.txt", "f_good_article.txt"]
    lines = c.report["lines"]
    fates = ("text", "metadata", "chrome", "caption", "duplicate_title", "unplaced")
    assert lines["non_blank"] == lines["accounted"] == sum(lines[f] for f in fates) == 7 + 9


def test_without_skip_invalid_the_first_bad_file_raises(tmp_path):
    write(tmp_path, "a_good.txt", GOOD_LISTING.encode())
    write(tmp_path, "b_bad.txt", b"Latest news with #X\n\n3 days ago\n- Politics\nTitle\nBody.\n")
    with pytest.raises(CorpusError) as info:
        load(tmp_path)
    assert Path(info.value.path).name == "b_bad.txt"
    assert info.value.line == 3


# -- regressions: cases a second reading found and that are now fixed --


def test_bom_only_line_mid_file_is_blank(tmp_path):
    data = GOOD_LISTING.encode() + b"\xef\xbb\xbf\n" + b"Korea Times\n2 days ago\n- World\nSecond title\nSecond body sentence.\n"
    path = write(tmp_path, "midbom.txt", data)
    c = load([path], crawl_dates={"midbom.txt": D(2025, 7, 15)})
    assert c.articles.height == 2
    lines = c.report["lines"]
    # 7 + 5 printed lines; the BOM-only line counts as blank
    assert lines["non_blank"] == lines["accounted"] == 12
    assert lines["blank"] == 2


def test_second_bom_is_not_part_of_the_title(tmp_path):
    data = b"\xef\xbb\xbf\xef\xbb\xbfFisheries pact signed\nOfficials signed the fisheries pact.\nComments\n"
    path = write(tmp_path, "bb.txt", data)
    c = load([path])
    assert c.articles["title"].to_list() == ["Fisheries pact signed"]


def test_cp1252_fallback_refuses_text_that_is_mostly_non_ascii(tmp_path):
    # Half the bytes non-ASCII, never two side by side: every byte is valid cp1252,
    # but text like this is far more likely another encoding than Western prose.
    data = b"Title line here\n" + b"a\xe9" * 40 + b"\n"
    with pytest.raises(CorpusError) as err:
        decode_lines(data, "mostly.txt")
    assert err.value.line == 2 and "not valid UTF-8" in err.value.problem
    # Just under the documented 10% share it is read as cp1252.
    ok = decode_lines(b"A plain ascii title line\n" + b"x" * 100 + b"\xe9" + b"y" * 10 + b"\n", "few.txt")
    assert ok.encoding == "cp1252"


def test_recorded_sha256_is_of_the_bytes_parsed_read_once(tmp_path, monkeypatch):
    import hashlib
    import shutil
    from pathlib import Path

    import toolkit

    page = tmp_path / "page.txt"
    shutil.copy(next(SEEDS.glob("001_*.txt")), page)
    original = page.read_bytes()
    replaced = original.replace(b"Korea Herald", b"Korea Harold")
    reads = []
    real_read_bytes, real_open = Path.read_bytes, Path.open

    def read_bytes(self):
        data = real_read_bytes(self)  # opens through Path.open, counted there
        if self == page:
            page.write_bytes(replaced)  # the file is replaced right after it was read
        return data

    def path_open(self, *args, **kwargs):
        mode = args[0] if args else kwargs.get("mode", "r")
        if self == page and "w" not in mode:
            reads.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(Path, "open", path_open)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = toolkit.load_corpus(page, remove_boilerplate=False)
    assert reads.count(page) == 1
    assert corpus.report["files"][0]["sha256"] == hashlib.sha256(original).hexdigest()
    assert "Korea Herald" in corpus.articles["outlet"].to_list()
    # The boilerplate pass reads every file first; a file replaced between the two reads is refused, naming it.
    page.write_bytes(original)
    reads.clear()
    with pytest.raises(toolkit.CorpusError, match="the file changed during the ingest") as err:
        toolkit.load_corpus(page)
    assert err.value.path == str(page) and reads.count(page) == 2


def test_table_sha256_is_of_the_bytes_parsed(tmp_path):
    import hashlib

    import toolkit

    data = "outlet,title,body\nKorea Herald,A title,Some body text here.\n".encode()
    table = tmp_path / "t.csv"
    table.write_bytes(data)
    corpus = toolkit.load_corpus(table)
    assert corpus.report["files"][0]["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "name, data, line",
    [
        ("ctrl.csv", "outlet,title,body\nA,T,fine\nB,T,bad\x1b[2J body\n", 3),
        ("ctrl.jsonl", '{"outlet": "A", "title": "T\\u0007", "body": "b"}\n', 1),
        ("latin.jsonl", b'{"outlet": "A", "title": "T", "body": "b"}\n{"outlet": "caf\xe9", "title": "T", "body": "b"}\n', 2),
    ],
)
def test_bad_table_cells_name_file_and_line(tmp_path, name, data, line):
    import toolkit

    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    with pytest.raises(toolkit.CorpusError) as err:
        toolkit.load_corpus(path)
    assert err.value.path == str(path) and err.value.line == line
