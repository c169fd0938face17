"""Default site-chrome rules (toolkit/data/chrome.csv): what they take, what they leave, on pages too."""

from __future__ import annotations

import pytest

import toolkit
from toolkit.registry import default_chrome

from .conftest import SEEDS

RULES = default_chrome()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Story Continued Below", "advertisement"),
        ("STORY CONTINUED BELOW", "advertisement"),
        ("Advertisement - scroll to continue", "advertisement"),
        ("Ad Feedback", "advertisement"),
        ("toggle caption", "caption control"),
        ("hide caption", "caption control"),
        ("Sign up for our daily newsletter", "newsletter prompt"),
        ("Subscribe to our newsletter", "newsletter prompt"),
        ("Sign up for The Brief, our daily newsletter that keeps readers up to speed.", "newsletter prompt"),
        ("Sign up for the Morning Brief newsletter", "newsletter prompt"),
        ("Sign up here for our free politics newsletters.", "newsletter prompt"),
        ("Sign up for CNN\u2019s Wonder Theory science newsletter. Explore the universe with news on fascinating discoveries.", "newsletter prompt"),
        ("Read more: How the talks began", "read-more link"),
        ("READ MORE: Seoul and Tokyo 80 years on", "read-more link"),
        ("WATCH: The ministers arrive in Seoul", "video prompt"),
        ("Watch: the moment the missile hit", "video prompt"),
    ],
)
def test_site_furniture_is_chrome(line, reason):
    assert RULES.reason(line) == reason


@pytest.mark.parametrize(
    "line",
    [
        "Sign up for the draft was slow, officials said.",
        "Subscribers to the newsletter rose 5% last year.",
        # advice in news text (a real article says as much): not the site's own prompt
        "Subscribe to the newsletters of the sites you like, the guide advises.",
        "Subscribe to the newsletter of the union, he urged members.",
        "Sign up for the draft and the newsletter came later.",
        "Read more than 20 reports before deciding, the minister advised.",
        "Watchdog: the agency opened an investigation.",
        "Watch the video below.",
        "The story continued below the fold of the paper.",
        "Advertisement spending rose 4% in July.",
        "The caption was toggled off by the editor.",
    ],
)
def test_news_text_that_resembles_furniture_is_not_chrome(line):
    assert RULES.reason(line) is None


@pytest.mark.filterwarnings("ignore:.*relative dates but no crawl date")
def test_inline_furniture_on_a_page_is_dropped_and_does_not_end_the_article(tmp_path):
    """New rules are inline chrome: on an article page they are dropped where they stand."""
    [page] = sorted(SEEDS.glob("000_*.txt"))
    lines = page.read_text(encoding="utf-8").split("\n")
    body_at = 3  # after the title and the first body line
    furniture = ["Story Continued Below", "toggle caption", "Sign up for our daily newsletter", "Read more: Earlier talks", "WATCH: The chiefs meet"]
    (tmp_path / page.name).write_text("\n".join(lines[:body_at] + furniture + lines[body_at:]), encoding="utf-8")
    base = toolkit.load_corpus(page)
    got = toolkit.load_corpus(tmp_path / page.name)
    assert got.articles["body"].to_list() == base.articles["body"].to_list()
    added = {k: got.report["chrome_reasons"].get(k, 0) - base.report["chrome_reasons"].get(k, 0) for k in got.report["chrome_reasons"]}
    assert {k: v for k, v in added.items() if v} == {"advertisement": 1, "caption control": 1, "newsletter prompt": 1, "read-more link": 1, "video prompt": 1}
    assert got.report["lines"]["chrome"] == base.report["lines"]["chrome"] + 5
    assert got.report["lines"]["non_blank"] == got.report["lines"]["accounted"]
