"""Repeated boilerplate found from the corpus itself (toolkit/boilerplate.py, wired in toolkit/corpus.py)."""

from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import toolkit
from toolkit.boilerplate import (
    MAX_WORDS,
    MIN_ARTICLES,
    MIN_SHARE,
    Settings,
    find_repeated,
    line_key,
)

TOPICS = ["the port strike", "the budget vote", "the flood defences", "the school reform", "the rail tender", "the hospital merger",
          "the zoning appeal", "the tax rebate", "the bridge repairs", "the election audit"]


def _news(k: int, j: int) -> str:
    """A distinct news paragraph of about 30 words (longer than MAX_WORDS)."""
    topic = TOPICS[k % len(TOPICS)]
    return (f"Paragraph {j} of report {k} on {topic}: officials in district {k * 7 + j} said on day {k + j} that talks would "
            f"continue, while {k + 3} residents and {j + 11} workers waited for a written decision from the council.")


def _planet_rows() -> list[dict[str, str]]:
    """30 articles of one outlet: distinct news plus its site furniture."""
    rows = []
    for k in range(30):
        lines = ["Listen to this article", _news(k, 0), "Story Continued Below", _news(k, 1), f"Mayor {k} declined to comment."]
        if k % 5 == 0:  # 6 of 30 articles (20 %)
            lines.append("Follow the Daily Planet on X for breaking news.")
        if k % 6 == 0:  # 5 of 30 articles (17 %, under the share)
            lines.append("Reporting contributed by the Planet staff.")
        rows.append({"outlet": "Daily Planet", "title": f"Planet story {k}", "body": "\n".join(lines)})
    return rows


def _wire_rows() -> list[dict[str, str]]:
    """An outlet that prints one syndicated wire story several times (versions with an update), among its own stories."""
    shared = [_news(100, 0), "\"We will respond,\" the minister said.", _news(100, 1), _news(100, 2)]
    rows = []
    for v in range(3):
        update = f"Update {v}: the minister's office released a further statement on day {v}, saying the talks had moved to the capital and more detail would follow tomorrow."
        rows.append({"outlet": "Wire Weekly", "title": f"Minister vows response (version {v})", "body": "\n".join([*shared, update])})
    for k in range(7):
        rows.append({"outlet": "Wire Weekly", "title": f"Weekly story {k}", "body": "\n".join([_news(200 + k, 0), "\"We will respond,\" the minister said." if k < 2 else f"Council member {k} had no comment.", _news(200 + k, 1)])})
    return rows


def test_defaults_are_documented_values():
    assert (MIN_SHARE, MIN_ARTICLES, MAX_WORDS) == (0.2, 5, 25)


def test_repeated_furniture_is_removed_counted_and_listed(tmp_path):
    path = tmp_path / "export.csv"
    pl.DataFrame(_planet_rows() + _wire_rows()).write_csv(path)
    corpus = toolkit.load_corpus(path)
    report = corpus.report
    bodies = dict(zip(corpus.articles["title"], corpus.articles["body"], strict=True))
    planet = bodies["Planet story 0"].split("\n\n")
    assert planet == [_news(0, 0), _news(0, 1), "Mayor 0 declined to comment.", "Reporting contributed by the Planet staff."]
    assert "Listen to this article" not in bodies["Planet story 29"]
    # the syndicated story keeps its shared short paragraph in every copy, and the outlet's own use of it
    for v in range(3):
        assert "\"We will respond,\" the minister said." in bodies[f"Minister vows response (version {v})"]
    assert "\"We will respond,\" the minister said." in bodies["Weekly story 0"]
    assert report["chrome_reasons"] == {"advertisement": 30, "repeated boilerplate": 36}
    assert report["repeated_boilerplate"] == {
        "min_share": 0.2, "min_articles": 5, "max_words": 25, "lines_removed": 36, "distinct_lines": 2, "lines_listed": 2,
        "lines": [
            {"outlet": "Daily Planet", "text": "Listen to this article", "removed": 30},
            {"outlet": "Daily Planet", "text": "Follow the Daily Planet on X for breaking news.", "removed": 6},
        ],
    }
    # every body line is text or removed with a reason
    n_lines = 30 * 5 + 6 + 5 + 3 * 5 + 7 * 3
    assert report["table_body_lines"] == {"total": n_lines, "text": n_lines - 66, "metadata": 0, "chrome": 66, "caption": 0, "duplicate_title": 0, "unplaced": 0}
    # turned off: nothing repeated is removed, and the section is absent
    off = toolkit.load_corpus(path, remove_boilerplate=False)
    assert off.report["chrome_reasons"] == {"advertisement": 30}
    assert "repeated_boilerplate" not in off.report
    assert "Listen to this article" in dict(zip(off.articles["title"], off.articles["body"], strict=True))["Planet story 3"]


def test_copies_of_one_story_count_once(tmp_path):
    """Six re-published versions of one wire story in a small outlet are one story, not boilerplate."""
    shared = [_news(300, 0), "Officials gave no timeline.", _news(300, 1)]
    rows = [{"outlet": "Echo", "title": f"Copy {v}", "body": "\n".join([*shared, _news(301 + v, 2)] if v % 2 else shared)} for v in range(6)]
    rows += [{"outlet": "Echo", "title": f"Own {k}", "body": _news(400 + k, 0)} for k in range(4)]
    path = tmp_path / "echo.jsonl"
    pl.DataFrame(rows).write_ndjson(path)
    corpus = toolkit.load_corpus(path)
    assert corpus.report["chrome_reasons"] == {}
    assert all("Officials gave no timeline." in b for t, b in zip(corpus.articles["title"], corpus.articles["body"], strict=True) if t.startswith("Copy"))


def test_thresholds_are_options(tmp_path):
    path = tmp_path / "export.csv"
    pl.DataFrame(_planet_rows()).write_csv(path)
    # a stricter share keeps the 20 % line; a lower one also takes the 17 % line
    strict = toolkit.load_corpus(path, boilerplate_min_share=0.5)
    assert [r["text"] for r in strict.report["repeated_boilerplate"]["lines"]] == ["Listen to this article"]
    loose = toolkit.load_corpus(path, boilerplate_min_share=0.1)
    assert loose.report["repeated_boilerplate"]["lines_removed"] == 41
    # a line longer than max_words is never boilerplate
    four = toolkit.load_corpus(path, boilerplate_max_words=4)
    assert [r["text"] for r in four.report["repeated_boilerplate"]["lines"]] == ["Listen to this article"]
    three = toolkit.load_corpus(path, boilerplate_max_words=3)
    assert "repeated_boilerplate" not in three.report and "repeated boilerplate" not in three.report["chrome_reasons"]
    with pytest.raises(ValueError, match="boilerplate_min_share"):
        toolkit.load_corpus(path, boilerplate_min_share=0)
    with pytest.raises(ValueError, match="boilerplate_min_articles"):
        toolkit.load_corpus(path, boilerplate_min_articles=0)


def test_order_files_and_workers_do_not_change_the_result(tmp_path):
    rows = _planet_rows() + _wire_rows()
    one = tmp_path / "one"
    one.mkdir()
    pl.DataFrame(rows).write_csv(one / "all.csv")
    shuffled = rows[:]
    random.Random(0).shuffle(shuffled)
    two = tmp_path / "two"
    two.mkdir()
    pl.DataFrame(shuffled[:20]).write_csv(two / "a.csv")
    pl.DataFrame(shuffled[20:]).write_ndjson(two / "b.jsonl")

    def by_title(corpus):
        return dict(zip(corpus.articles["title"], corpus.articles["body"], strict=True))

    base = toolkit.load_corpus(one)
    split = toolkit.load_corpus(two, n_jobs=2)
    assert by_title(split) == by_title(base)
    assert split.report["repeated_boilerplate"] == base.report["repeated_boilerplate"]


def test_seeds_have_no_repeated_boilerplate(seed_corpus):
    """The 20-article seed corpus is untouched: no line recurs in 5 articles of an outlet."""
    assert "repeated boilerplate" not in seed_corpus.report["chrome_reasons"]
    assert "repeated_boilerplate" not in seed_corpus.report


_POOL = ["Listen to this article", "Sign in to comment", "Share on X", "More from the desk", "Photo essay below", "Tip us off"]


@st.composite
def _corpora(draw):
    n_outlets = draw(st.integers(1, 2))
    articles = []
    for o in range(n_outlets):
        for k in range(draw(st.integers(1, 30))):
            lines = [_news(1000 * o + k, 0)]  # a unique long line: every article is its own story
            lines += [p for p in _POOL if draw(st.booleans()) and draw(st.booleans())]
            articles.append((f"Outlet {o}", lines))
    copies = draw(st.lists(st.sampled_from(articles), max_size=5)) if articles else []
    # every pool line is short (4 words at most), so each article is its own story
    rule = Settings(draw(st.sampled_from([0.1, 0.2, 0.5, 1.0])), draw(st.integers(1, 8)), draw(st.integers(4, 8)))
    return articles, copies, rule


@settings(max_examples=150, deadline=None)
@given(_corpora(), st.randoms(use_true_random=False))
def test_only_lines_at_or_over_both_thresholds_are_removed(case, rng):
    articles, copies, rule = case
    found = find_repeated(articles, rule)
    per_outlet: dict[str, int] = {}
    for outlet, _ in articles:
        per_outlet[outlet] = per_outlet.get(outlet, 0) + 1
    for outlet, n_outlet in per_outlet.items():
        for line in _POOL:
            n = sum(1 for o, lines in articles if o == outlet and line in lines)
            expected = n >= rule.min_articles and n >= rule.min_share * n_outlet and len(line.split()) <= rule.max_words
            assert (line_key(outlet, line) in found) == expected, (outlet, line, n, n_outlet, rule)
    # long lines never; exact copies count once; order does not matter
    assert not {line_key(o, lines[0]) for o, lines in articles} & found
    shuffled = articles + copies
    rng.shuffle(shuffled)
    assert find_repeated(shuffled, rule) == found


def test_cli_options(tmp_path, capsys):
    from toolkit.cli import main

    path = tmp_path / "export.csv"
    pl.DataFrame(_planet_rows()).write_csv(path)
    import json

    assert main(["ingest", str(path), "--out", str(tmp_path / "on")]) == 0
    assert "; 36 repeated-boilerplate line(s) removed (listed in ingest_report.json)" in capsys.readouterr().out
    on = json.loads((tmp_path / "on" / "ingest_report.json").read_text(encoding="utf-8"))
    assert on["repeated_boilerplate"]["lines_removed"] == 36
    assert main(["ingest", str(path), "--out", str(tmp_path / "strict"), "--boilerplate-share", "0.5"]) == 0
    strict = json.loads((tmp_path / "strict" / "ingest_report.json").read_text(encoding="utf-8"))
    assert strict["repeated_boilerplate"]["lines_removed"] == 30
    capsys.readouterr()
    assert main(["ingest", str(path), "--out", str(tmp_path / "off"), "--keep-boilerplate"]) == 0
    assert "repeated-boilerplate" not in capsys.readouterr().out
    off = json.loads((tmp_path / "off" / "ingest_report.json").read_text(encoding="utf-8"))
    assert "repeated_boilerplate" not in off and off["chrome_reasons"] == {"advertisement": 30}


@settings(max_examples=100, deadline=None)
@given(_corpora(), st.integers(1, 3))
def test_lines_under_the_thresholds_or_too_long_are_never_removed(case, max_words):
    """Whatever the story keys: a removed line is short and occurs in at least min_articles distinct articles of its outlet."""
    articles, copies, rule = case
    rule = Settings(rule.min_share, rule.min_articles, max_words)
    found = find_repeated(articles + copies, rule)
    for outlet in {o for o, _ in articles}:
        for line in _POOL:
            n = sum(1 for o, lines in articles if o == outlet and line in lines)
            if line_key(outlet, line) in found:
                assert n >= rule.min_articles and len(line.split()) <= max_words


@pytest.mark.filterwarnings("ignore:.*relative dates but no crawl date")
def test_pages_lose_repeated_lines_too_and_every_line_is_accounted(tmp_path):
    """Six article pages of one outlet (the 004 seed's layout), each with the same short line in its lead."""
    from .conftest import SEEDS

    [seed] = sorted(SEEDS.glob("004_*.txt"))
    lines = seed.read_text(encoding="utf-8").split("\n")
    first_body = next(i for i, line in enumerate(lines) if line.startswith("Prime Minister nominee"))
    body_end = next(i for i in range(first_body, len(lines)) if not lines[i].strip())
    for k in range(6):
        title = f"Council weighs report {k} on {TOPICS[k]}"
        page = [
            "logo", title, "", title, "", "Korea Herald6 days ago", "",
            _news(500 + k, 0), "Listen to this article", _news(500 + k, 1), _news(500 + k, 2),
            *lines[body_end:],
        ]
        (tmp_path / f"page{k}.txt").write_text("\n".join(page), encoding="utf-8")
    corpus = toolkit.load_corpus(tmp_path)
    report = corpus.report
    leads = corpus.articles.filter(pl.col("placement") == "lead")
    assert leads.height == 6
    assert all(b.split("\n\n") == [_news(500 + k, 0), _news(500 + k, 1), _news(500 + k, 2)] for k, b in enumerate(leads["body"]))
    assert report["chrome_reasons"]["repeated boilerplate"] == 6
    assert report["repeated_boilerplate"]["lines"] == [{"outlet": "Korea Herald", "text": "Listen to this article", "removed": 6}]
    assert report["lines"]["non_blank"] == report["lines"]["accounted"] and report["lines"]["unplaced"] == 0
    off = toolkit.load_corpus(tmp_path, remove_boilerplate=False)
    assert report["lines"]["chrome"] == off.report["lines"]["chrome"] + 6
    assert report["lines"]["text"] == off.report["lines"]["text"] - 6
