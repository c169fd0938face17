"""Hand-made pages in the four aggregator layouts, and awkward variants of them.

Every page is built here as bytes (so CRLF, lone CR and BOM are exact),
written under ``tmp_path`` and read through the public ``load_corpus``.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

import toolkit

D = dt.date
FATES = ("text", "metadata", "chrome", "caption", "duplicate_title", "unplaced")
BULLET = "  \u2022 "  # two spaces and a bullet, as printed in the header layouts

# Site chrome that must never reach a title, body or paragraph.
CHROME_PHRASES = (
    "try our ai features",
    "explore what daily8",
    "no comments yet",
    "related articles",
    "orange background",
    "advertisement",
    "download the app",
    "ready to dive into",
    "app-store",
    "play-store",
)
CHROME_LINES = {"logo", "#", "comments"}

# -- byte-level variants -----------------------------------------------------------

VARIANTS: dict[str, Callable[[str], bytes]] = {
    "lf": lambda s: s.encode("utf-8"),
    "crlf": lambda s: s.replace("\n", "\r\n").encode("utf-8"),
    "cr": lambda s: s.replace("\n", "\r").encode("utf-8"),
    "bom_crlf": lambda s: b"\xef\xbb\xbf" + s.replace("\n", "\r\n").encode("utf-8"),
    "bom_lf": lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
    "trailing_spaces": lambda s: "\n".join(line + ("  \t" if line else "") for line in s.split("\n")).encode("utf-8"),
}

# -- helpers -------------------------------------------------------------------------


def load(tmp_path: Path, pages: dict[str, bytes], crawl: dict[str, dt.date] | None = None, **kwargs):
    paths = []
    for name, data in pages.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return toolkit.load_corpus(paths, crawl_dates=crawl, **kwargs)


def non_blank_count(data: bytes) -> int:
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return sum(1 for line in lines if line.strip())


def assert_accounting(report: dict, expected_non_blank: int | None = None) -> None:
    lines = report["lines"]
    parts = sum(lines[f] for f in FATES)
    assert lines["non_blank"] == lines["accounted"] == parts, lines
    assert lines["total"] - lines["blank"] == lines["non_blank"]
    for entry in report["files"]:
        per_file = entry["lines"]
        assert sum(per_file[f] for f in FATES) == entry["lines_total"] - entry["lines_blank"], entry
    if expected_non_blank is not None:
        assert lines["non_blank"] == expected_non_blank


def assert_no_chrome(corpus) -> None:
    a = corpus.articles
    texts = a["title"].to_list() + a["body"].to_list() + corpus.paragraphs["text"].to_list()
    for text in texts:
        folded = text.casefold()
        for phrase in CHROME_PHRASES:
            assert phrase not in folded, (phrase, text)
        for line in text.split("\n"):
            assert line.strip().casefold() not in CHROME_LINES, (line, text)


def row(corpus, title_fragment: str) -> dict:
    found = corpus.articles.filter(pl.col("title").str.contains(title_fragment, literal=True))
    assert found.height == 1, (title_fragment, corpus.articles["title"].to_list())
    return found.row(0, named=True)


# -- layout 1: article page (title, body, chrome, related blocks) -----------------------

ARTICLE = """
Ministers agree on fisheries pact
Officials from both countries signed the fisheries pact on Tuesday in Busan after months of talks.
The agreement sets catch quotas for mackerel and squid for the next five years.

Try Our AI Features
Explore what Daily8 AI can do for you:
Comments
No comments yet...
Related Articles


Korea Times
2 hours ago
- Korea Times
Port strike enters third week
Dock workers in Incheon extended their walkout over pay and shift rotas on Wednesday.


Yonhap
05-08-2025
- Politics
- Yonhap
Parliament passes supplementary budget bill
The National Assembly passed the supplementary budget late Monday after a long session.
"""


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_article_layout(tmp_path, variant):
    data = VARIANTS[variant](ARTICLE)
    c = load(tmp_path, {"art.txt": data}, crawl={"art.txt": D(2025, 8, 14)})
    a = c.articles
    assert a.height == 3
    assert a["layout"].to_list() == ["article"] * 3
    assert a["placement"].to_list() == ["lead", "related", "related"]
    assert a["source_file"].unique().to_list() == ["art.txt"]
    assert a["page_tag"].null_count() == 3
    assert c.report["files"][0]["layout"] == "article"

    lead = a.row(0, named=True)
    assert lead["title"] == "Ministers agree on fisheries pact"
    assert lead["outlet"] is None and lead["outlet_country"] is None
    assert lead["published"] is None and lead["date_text"] is None and lead["date_basis"] == "unknown"
    assert lead["body"].startswith("Officials from both countries signed")
    assert lead["body"].endswith("for the next five years.")
    assert (lead["line_start"], lead["line_end"]) == (2, 4)

    rel1 = a.row(1, named=True)
    assert rel1["title"] == "Port strike enters third week"
    assert rel1["outlet"] == "Korea Times" and rel1["outlet_country"] == "KR"
    assert rel1["section"] is None  # "- Korea Times" is the outlet again, not a section
    assert rel1["date_text"] == "2 hours ago" and rel1["date_basis"] == "relative"
    assert rel1["published"] == D(2025, 8, 14)
    assert rel1["body"] == "Dock workers in Incheon extended their walkout over pay and shift rotas on Wednesday."
    assert (rel1["line_start"], rel1["line_end"]) == (13, 17)

    rel2 = a.row(2, named=True)
    assert rel2["title"] == "Parliament passes supplementary budget bill"
    assert rel2["outlet"] == "Yonhap" and rel2["section"] == "Politics"
    assert rel2["date_text"] == "05-08-2025" and rel2["date_basis"] == "absolute"
    assert rel2["published"] == D(2025, 8, 5)

    lines = c.report["files"][0]["lines"]
    assert lines == {"text": 7, "metadata": 7, "chrome": 5, "caption": 0, "duplicate_title": 0, "unplaced": 0}
    assert_accounting(c.report, non_blank_count(data))
    assert c.report["unplaced"] == []
    assert_no_chrome(c)


# -- layout 2: tag listing ------------------------------------------------------------------

LISTING = """Latest news with #HarbourTalks


Korea Herald
10-07-2025
- Politics
- Diplomacy
- Korea Herald
Harbour talks resume in Busan
Negotiators met again on Thursday to settle the long-running harbour dispute.
Both sides said progress had been made on berth fees.


Hans India
21-05-2025
- Business
- Hans India
Shipping rates climb for a sixth week
Container rates rose again this week, brokers in Mumbai said on Monday.


Lumen Daily
3 days ago
- World
- Lumen Daily
Tanker seized off the coast
A tanker was seized by coast guard officers near the strait early on Sunday.
"""


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_listing_layout(tmp_path, variant):
    data = VARIANTS[variant](LISTING)
    c = load(tmp_path, {"list.txt": data}, crawl={"list.txt": D(2025, 7, 17)})
    a = c.articles
    assert a.height == 3
    assert a["layout"].to_list() == ["listing"] * 3
    assert a["placement"].to_list() == ["listing"] * 3
    assert a["page_tag"].to_list() == ["HarbourTalks"] * 3
    assert a["outlet"].to_list() == ["Korea Herald", "Hans India", "Lumen Daily"]
    assert a["outlet_country"].to_list() == ["KR", "IN", None]  # an outlet never seen before
    assert a["section"].to_list() == ["Politics / Diplomacy", "Business", "World"]
    assert a["date_text"].to_list() == ["10-07-2025", "21-05-2025", "3 days ago"]
    assert a["date_basis"].to_list() == ["absolute", "absolute", "relative"]
    assert a["published"].to_list() == [D(2025, 7, 10), D(2025, 5, 21), D(2025, 7, 14)]
    assert a["title"].to_list() == [
        "Harbour talks resume in Busan",
        "Shipping rates climb for a sixth week",
        "Tanker seized off the coast",
    ]
    assert a["line_start"].to_list() == [4, 14, 22]
    assert a["line_end"].to_list() == [11, 19, 27]
    first = a.row(0, named=True)
    assert "Negotiators met again" in first["body"] and "berth fees" in first["body"]
    assert c.report["files"][0]["page_tag"] == "HarbourTalks"
    lines = c.report["files"][0]["lines"]
    # metadata: page tag + 3 x (outlet, date, outlet bullet) + 4 section bullets
    assert lines == {"text": 7, "metadata": 14, "chrome": 0, "caption": 0, "duplicate_title": 0, "unplaced": 0}
    assert_accounting(c.report, non_blank_count(data))
    assert_no_chrome(c)


# -- layout 3: listing with a logo/# header -----------------------------------------------------

LISTING_HEADER = f"""logo
#

Latest news with #PortCities

Dockers vote to strike at Ulsan
Dockers vote to strike at Ulsan

South China Morning Post

time3 days ago

{BULLET}Politics
{BULLET}South China Morning Post

Dockers vote to strike at Ulsan

Union members at Ulsan port voted to strike from Monday. Advertisement The vote passed with a large majority.
Advertisement
Talks with employers broke down last week over overtime rules.

Ferry fares to rise in Jeju
Ferry fares to rise in Jeju

Lumen Daily

time2 weeks ago

{BULLET}Economy
{BULLET}Lumen Daily

Ferry fares to rise in Jeju

Operators said rising fuel costs forced them to raise fares by a tenth this summer.

DOWNLOAD THE APP

Get Started Now: Download the App

Ready to dive into a world of global content with local flavor? Download Daily8 app today from your preferred app store and start exploring.
app-storeplay-store
"""


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_listing_header_layout(tmp_path, variant):
    data = VARIANTS[variant](LISTING_HEADER)
    c = load(tmp_path, {"lh.txt": data}, crawl={"lh.txt": D(2025, 7, 15)})
    a = c.articles
    assert a.height == 2
    assert a["layout"].to_list() == ["listing_header"] * 2
    assert a["placement"].to_list() == ["listing"] * 2
    assert a["page_tag"].to_list() == ["PortCities"] * 2
    assert a["title"].to_list() == ["Dockers vote to strike at Ulsan", "Ferry fares to rise in Jeju"]
    assert a["outlet"].to_list() == ["South China Morning Post", "Lumen Daily"]
    assert a["outlet_country"].to_list() == ["HK", None]
    assert a["section"].to_list() == ["Politics", "Economy"]
    assert a["date_text"].to_list() == ["time3 days ago", "time2 weeks ago"]
    assert a["published"].to_list() == [D(2025, 7, 12), D(2025, 7, 1)]
    # A block starts at its first printed title and ends on its last body line.
    assert a["line_start"].to_list() == [6, 22]
    assert a["line_end"].to_list() == [20, 34]
    first = a.row(0, named=True)
    assert first["body"] == (
        "Union members at Ulsan port voted to strike from Monday. The vote passed with a large majority."
        "\n\nTalks with employers broke down last week over overtime rules."
    )
    # The title is not repeated inside the body.
    assert "Dockers vote" not in first["body"]
    assert c.report["removed_spans"].get("advertisement") == 1
    lines = c.report["files"][0]["lines"]
    assert lines == {"text": 5, "metadata": 9, "chrome": 7, "caption": 0, "duplicate_title": 4, "unplaced": 0}
    assert_accounting(c.report, non_blank_count(data))
    assert_no_chrome(c)


# -- layout 4: article page with a header, glued outlet/date and layout-3 related blocks -------

ARTICLE_HEADER = f"""logo
Coastguard expands night patrols

Coastguard expands night patrols

Korea Herald6 days ago

The coastguard will add night patrols along the western sea border from next month.
Officials said two new cutters would join the fleet before the crab season.

Orange background

Try Our AI Features

Explore what Daily8 AI can do for you:

Comments

No comments yet...

Related Articles

Fishing fleet returns early
Fishing fleet returns early

Korea Times

timea day ago

{BULLET}Korea Times

Fishing fleet returns early

Storm warnings sent the squid fleet back to port two days early on Friday.

DOWNLOAD THE APP

Get Started Now: Download the App

Ready to dive into a world of global content with local flavor? Download Daily8 app today from your preferred app store and start exploring.
app-storeplay-store
"""


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_article_header_layout(tmp_path, variant):
    data = VARIANTS[variant](ARTICLE_HEADER)
    c = load(tmp_path, {"ah.txt": data}, crawl={"ah.txt": D(2025, 6, 22)})
    a = c.articles
    assert a.height == 2
    assert a["layout"].to_list() == ["article_header"] * 2
    assert a["placement"].to_list() == ["lead", "related"]
    lead, rel = a.row(0, named=True), a.row(1, named=True)
    assert lead["title"] == "Coastguard expands night patrols"
    assert lead["outlet"] == "Korea Herald" and lead["outlet_country"] == "KR"
    assert lead["date_text"] == "6 days ago" and lead["date_basis"] == "relative"
    assert lead["published"] == D(2025, 6, 16)
    assert lead["section"] is None
    assert lead["body"] == (
        "The coastguard will add night patrols along the western sea border from next month."
        "\n\nOfficials said two new cutters would join the fleet before the crab season."
    )
    assert (lead["line_start"], lead["line_end"]) == (2, 9)
    assert rel["title"] == "Fishing fleet returns early"
    assert rel["outlet"] == "Korea Times"
    assert rel["section"] is None
    assert rel["date_text"] == "timea day ago"
    assert rel["published"] == D(2025, 6, 21)
    assert rel["body"] == "Storm warnings sent the squid fleet back to port two days early on Friday."
    assert (rel["line_start"], rel["line_end"]) == (23, 34)
    lines = c.report["files"][0]["lines"]
    assert lines == {"text": 5, "metadata": 4, "chrome": 11, "caption": 0, "duplicate_title": 3, "unplaced": 0}
    assert_accounting(c.report, non_blank_count(data))
    assert_no_chrome(c)


def test_four_layouts_in_one_folder(tmp_path):
    pages = {
        "a_article.txt": ARTICLE.encode(),
        "b_listing.txt": LISTING.replace("\n", "\r\n").encode(),
        "c_listing_header.txt": LISTING_HEADER.replace("\n", "\r").encode(),
        "d_article_header.txt": b"\xef\xbb\xbf" + ARTICLE_HEADER.encode(),
    }
    for name, data in pages.items():
        (tmp_path / name).write_bytes(data)
    crawl = {"a_article.txt": D(2025, 8, 14), "b_listing.txt": D(2025, 7, 17), "c_listing_header.txt": D(2025, 7, 15), "d_article_header.txt": D(2025, 6, 22)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = toolkit.load_corpus(tmp_path, crawl_dates=crawl)
    assert [f["layout"] for f in c.report["files"]] == ["article", "listing", "listing_header", "article_header"]
    assert c.articles.group_by("source_file", maintain_order=True).len()["len"].to_list() == [3, 3, 2, 2]
    assert c.report["articles"]["by_placement"] == {"lead": 2, "listing": 5, "related": 3}
    assert c.articles["published"].null_count() == 1  # only the undated lead of the article page
    expected = sum(non_blank_count(d) for d in pages.values())
    assert_accounting(c.report, expected)
    assert_no_chrome(c)


# -- variants ------------------------------------------------------------------------------


def _one_block_listing(outlet_line: str, date_line: str | None, bullets: list[str], title: str = "Museum opens maritime wing") -> str:
    head = [outlet_line] + ([date_line] if date_line is not None else [])
    return "\n".join(
        ["Latest news with #Harbours", "", *head, *bullets, title, "The museum opened a new wing devoted to the history of the port.", ""]
    )


@pytest.mark.parametrize(
    ("date_line", "crawl", "published"),
    [
        ("an hour ago", D(2025, 3, 31), D(2025, 3, 31)),
        ("6 hours ago", D(2025, 3, 31), D(2025, 3, 31)),
        ("2 weeks ago", D(2025, 3, 31), D(2025, 3, 17)),
        ("a month ago", D(2025, 3, 31), D(2025, 2, 28)),
        ("yesterday", D(2025, 3, 1), D(2025, 2, 28)),
        ("time2 weeks ago", D(2025, 3, 31), D(2025, 3, 17)),
        ("time3 days ago", D(2025, 3, 2), D(2025, 2, 27)),
        ("a year ago", D(2024, 2, 29), D(2023, 2, 28)),
        ("10-07-2025", D(2025, 3, 31), D(2025, 7, 10)),  # absolute: the crawl date plays no part
    ],
)
def test_relative_forms_in_a_listing(tmp_path, date_line, crawl, published):
    text = _one_block_listing("Korea Herald", date_line, ["- Culture", "- Korea Herald"])
    c = load(tmp_path, {"rel.txt": text.encode()}, crawl={"rel.txt": crawl})
    r = c.articles.row(0, named=True)
    assert c.articles.height == 1
    assert r["date_text"] == date_line
    assert r["published"] == published
    assert r["date_basis"] == ("absolute" if "-" in date_line else "relative")
    assert r["section"] == "Culture"
    assert_accounting(c.report, 7)


def test_relative_date_without_crawl_date(tmp_path):
    text = _one_block_listing("Korea Herald", "3 days ago", ["- Culture"])
    path = tmp_path / "nocrawl.txt"
    path.write_bytes(text.encode())
    with pytest.warns(UserWarning, match="nocrawl.txt: relative dates but no crawl date"):
        c = toolkit.load_corpus([path])
    r = c.articles.row(0, named=True)
    assert r["published"] is None
    assert r["date_basis"] == "relative"
    assert r["date_text"] == "3 days ago"
    assert c.report["files"][0]["crawl_date"] is None
    assert any("nocrawl.txt" in w for w in c.report["warnings"])


def test_absolute_date_needs_no_crawl_date(tmp_path):
    text = _one_block_listing("Korea Herald", "10-07-2025", ["- Culture"])
    path = tmp_path / "abs.txt"
    path.write_bytes(text.encode())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning at all for a page of absolute dates
        c = toolkit.load_corpus([path])
    assert c.articles["published"].to_list() == [D(2025, 7, 10)]
    assert c.report["warnings"] == []


@pytest.mark.parametrize(
    "bullets",
    [
        ["\t- Politics", "\t- Korea Herald"],
        ["   \u2022 Politics", "   \u2022 Korea Herald"],
        ["\u00b7 Politics", "\u00b7 Korea Herald"],
        ["* Politics", "* Korea Herald"],
        ["-Politics", "-Korea Herald"],
        ["- Politics   ", "- Korea Herald\t"],
        ["  \u2013 Politics", "- The Korea Herald"],  # en dash bullet; outlet bullet by alias
    ],
)
def test_bullet_variants(tmp_path, bullets):
    text = _one_block_listing("Korea Herald", "3 days ago", bullets)
    c = load(tmp_path, {"b.txt": text.encode()}, crawl={"b.txt": D(2025, 7, 17)})
    r = c.articles.row(0, named=True)
    assert r["section"] == "Politics"
    assert r["outlet"] == "Korea Herald"
    assert r["title"] == "Museum opens maritime wing"
    assert r["body"] == "The museum opened a new wing devoted to the history of the port."
    lines = c.report["files"][0]["lines"]
    assert lines["metadata"] == 5 and lines["text"] == 2
    assert_accounting(c.report, 7)


def test_alias_outlet_is_canonicalised(tmp_path):
    text = _one_block_listing("The Korea Herald", "3 days ago", ["- Politics", "- Korea Herald"])
    c = load(tmp_path, {"al.txt": text.encode()}, crawl={"al.txt": D(2025, 7, 17)})
    r = c.articles.row(0, named=True)
    assert r["outlet"] == "Korea Herald"
    assert r["outlet_country"] == "KR"
    assert r["section"] == "Politics"


@pytest.mark.parametrize("outlet", ["Foo Weekly", "Bar Tribune of the Isles", "Zed Times"])
def test_unknown_outlet_kept_as_printed(tmp_path, outlet):
    text = _one_block_listing(outlet, "2 days ago", ["- Local", f"- {outlet}"])
    c = load(tmp_path, {"u.txt": text.encode()}, crawl={"u.txt": D(2025, 7, 17)})
    r = c.articles.row(0, named=True)
    assert r["outlet"] == outlet
    assert r["outlet_country"] is None and r["outlet_type"] is None
    assert r["section"] == "Local"  # the repeated unknown outlet is not a section
    assert r["published"] == D(2025, 7, 15)


@pytest.mark.parametrize(
    ("glued", "outlet", "country", "date_text", "published"),
    [
        ("Foo Gazette3 days ago", "Foo Gazette", None, "3 days ago", D(2025, 6, 19)),
        ("Foo Gazettean hour ago", "Foo Gazette", None, "an hour ago", D(2025, 6, 22)),
        ("Korea Herald6 days ago", "Korea Herald", "KR", "6 days ago", D(2025, 6, 16)),
        ("The Korea Times2 weeks ago", "Korea Times", "KR", "2 weeks ago", D(2025, 6, 8)),
        ("Korea Herald10-06-2025", "Korea Herald", "KR", "10-06-2025", D(2025, 6, 10)),
        ("Yonhapyesterday", "Yonhap", "KR", "yesterday", D(2025, 6, 21)),
    ],
)
def test_glued_outlet_and_date_in_article_header(tmp_path, glued, outlet, country, date_text, published):
    data = ARTICLE_HEADER.replace("Korea Herald6 days ago", glued).encode()
    c = load(tmp_path, {"g.txt": data}, crawl={"g.txt": D(2025, 6, 22)})
    lead = c.articles.row(0, named=True)
    assert lead["placement"] == "lead"
    assert lead["outlet"] == outlet
    assert lead["outlet_country"] == country
    assert lead["date_text"] == date_text
    assert lead["published"] == published
    assert lead["title"] == "Coastguard expands night patrols"
    assert not lead["body"].startswith("Coastguard")
    assert_accounting(c.report, non_blank_count(data))


def test_glued_unknown_outlet_in_listing(tmp_path):
    text = _one_block_listing("Foo Gazette3 days ago", None, ["- Sport"])
    c = load(tmp_path, {"gl.txt": text.encode()}, crawl={"gl.txt": D(2025, 3, 31)})
    r = c.articles.row(0, named=True)
    assert r["outlet"] == "Foo Gazette"
    assert r["outlet_country"] is None
    assert r["date_text"] == "3 days ago"
    assert r["published"] == D(2025, 3, 28)
    assert r["section"] == "Sport"
    lines = c.report["files"][0]["lines"]
    assert lines["metadata"] == 3  # page tag, glued outlet/date, section
    assert_accounting(c.report, 5)


@pytest.mark.parametrize(
    ("between", "outlet", "country"),
    [
        ("Korea Herald\n\n6 days ago", "Korea Herald", "KR"),
        ("Foo Gazette\n6 days ago", "Foo Gazette", None),
    ],
)
def test_outlet_and_date_on_separate_lines_in_article_header(tmp_path, between, outlet, country):
    data = ARTICLE_HEADER.replace("Korea Herald6 days ago", between).encode()
    c = load(tmp_path, {"s.txt": data}, crawl={"s.txt": D(2025, 6, 22)})
    lead = c.articles.row(0, named=True)
    assert lead["outlet"] == outlet and lead["outlet_country"] == country
    assert lead["date_text"] == "6 days ago"
    assert lead["published"] == D(2025, 6, 16)
    assert lead["title"] == "Coastguard expands night patrols"
    assert lead["body"].startswith("The coastguard will add")
    assert c.report["files"][0]["lines"]["duplicate_title"] == 3
    assert_accounting(c.report, non_blank_count(data))


def test_article_lead_with_outlet_and_date_lines(tmp_path):
    text = (
        "Fisheries pact signed in Busan\n"
        "Korea Times\n"
        "3 days ago\n"
        "Officials from both countries signed the fisheries pact on Tuesday.\n"
        "Comments\n"
        "Related Articles\n"
    )
    c = load(tmp_path, {"ld.txt": text.encode()}, crawl={"ld.txt": D(2025, 7, 15)})
    assert c.articles.height == 1
    lead = c.articles.row(0, named=True)
    assert lead["layout"] == "article" and lead["placement"] == "lead"
    assert lead["outlet"] == "Korea Times"
    assert lead["published"] == D(2025, 7, 12)
    assert lead["body"] == "Officials from both countries signed the fisheries pact on Tuesday."
    assert c.report["files"][0]["lines"] == {"text": 2, "metadata": 2, "chrome": 2, "caption": 0, "duplicate_title": 0, "unplaced": 0}


def test_advertisement_line_inside_article_lead_does_not_end_it(tmp_path):
    text = (
        "Fisheries pact signed in Busan\n"
        "Officials from both countries signed the fisheries pact on Tuesday.\n"
        "Advertisement\n"
        "The pact runs for five years and covers mackerel quotas.\n"
        "Related Articles\n"
    )
    c = load(tmp_path, {"ad.txt": text.encode()})
    lead = c.articles.row(0, named=True)
    assert lead["body"] == (
        "Officials from both countries signed the fisheries pact on Tuesday."
        "\n\nThe pact runs for five years and covers mackerel quotas."
    )
    assert c.report["files"][0]["lines"]["chrome"] == 2
    assert c.report["unplaced"] == []
    assert_no_chrome(c)


def test_page_tag_with_trailing_spaces_and_case(tmp_path):
    text = _one_block_listing("Korea Herald", "3 days ago", ["- Culture"]).replace(
        "Latest news with #Harbours", "LATEST NEWS WITH #Harbours   \t"
    )
    c = load(tmp_path, {"t.txt": text.encode()}, crawl={"t.txt": D(2025, 7, 17)})
    assert c.articles["page_tag"].to_list() == ["Harbours"]


def test_lines_before_listing_header_are_unplaced_and_counted(tmp_path):
    text = "Home\nMenu\n\n" + _one_block_listing("Korea Herald", "3 days ago", ["- Culture"])
    c = load(tmp_path, {"up.txt": text.encode()}, crawl={"up.txt": D(2025, 7, 17)})
    assert c.articles.height == 1
    assert c.report["lines"]["unplaced"] == 2
    assert [(u["line"], u["text"]) for u in c.report["unplaced"]] == [(1, "Home"), (2, "Menu")]
    assert all(u["file"] == "up.txt" for u in c.report["unplaced"])
    assert c.articles["line_start"].to_list() == [6]
    assert_accounting(c.report, 8)


def test_impossible_date_in_a_block_header_is_an_error(tmp_path):
    text = (
        "Latest news with #Harbours\n\n"
        "Korea Herald\n10-07-2025\n- Politics\nHarbour talks resume\nNegotiators met again on Thursday.\n\n"
        "Korea Times\n31-02-2025\n- World\nSecond title here\nSecond body here.\n"
    )
    # An impossible date in a block header is an error, not a line silently
    # absorbed into the previous block's body.
    with pytest.raises(toolkit.CorpusError) as err:
        load(tmp_path, {"inv.txt": text.encode()})
    assert err.value.line == 10 and "impossible date '31-02-2025'" in err.value.problem


def test_same_body_sentence_ending_in_days_ago_is_not_a_date(tmp_path):
    # An unknown outlet must be glued and short; a sentence is not an outlet.
    text = _one_block_listing("Korea Herald", "10-07-2025", ["- Politics"]).replace(
        "The museum opened a new wing devoted to the history of the port.",
        "The museum opened a new wing devoted to the port.\nIts director retired 3 days ago",
    )
    c = load(tmp_path, {"s.txt": text.encode()})
    assert c.articles.height == 1
    assert c.articles["body"][0].endswith("Its director retired 3 days ago")


# -- regressions: cases a second reading found and that are now fixed --


def test_article_header_without_date_drops_repeated_title(tmp_path):
    text = (
        "logo\n"
        "Coastguard expands night patrols\n\n"
        "Coastguard expands night patrols\n\n"
        "The coastguard will add night patrols along the western sea border.\n\n"
        "Orange background\n"
    )
    c = load(tmp_path, {"nd.txt": text.encode()})
    lead = c.articles.row(0, named=True)
    assert lead["title"] == "Coastguard expands night patrols"
    assert lead["body"] == "The coastguard will add night patrols along the western sea border."
    assert c.report["files"][0]["lines"]["duplicate_title"] == 1


def test_share_or_read_more_inside_a_lead_does_not_end_the_article(tmp_path):
    text = (
        "Coastguard expands night patrols\n\n"
        "Korea Herald2 days ago\n\n"
        "The coastguard will add night patrols along the western sea border.\n\n"
        "Share\n\n"
        "Officials said the patrols would start next month and run until spring.\n\n"
        "Read more\n\n"
        "The navy will lend two ships to the effort.\n\n"
        "Related Articles\n"
    )
    c = load(tmp_path, {"share.txt": text.encode()})
    lead = c.articles.row(0, named=True)
    assert lead["body"].split("\n\n") == [
        "The coastguard will add night patrols along the western sea border.",
        "Officials said the patrols would start next month and run until spring.",
        "The navy will lend two ships to the effort.",
    ]
    assert c.report["unplaced"] == []
    assert c.report["chrome_reasons"]["site navigation"] == 2
