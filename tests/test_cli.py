"""The command line: outputs, one-line errors, --skip-invalid."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import polars as pl
import pytest

from toolkit import schema
from toolkit.cli import main

from .conftest import ROOT, SEEDS


def test_ingest_writes_frames_and_report(tmp_path, capsys):
    assert main(["ingest", str(SEEDS), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "20 articles (18 canonical, 2 duplicates)" in out
    articles = pl.read_parquet(tmp_path / "articles.parquet")
    paragraphs = pl.read_parquet(tmp_path / "paragraphs.parquet")
    assert articles.schema == schema.ARTICLES and paragraphs.schema == schema.PARAGRAPHS
    report = json.loads((tmp_path / "ingest_report.json").read_text())
    assert report["lines"]["accounted"] == report["lines"]["non_blank"]
    assert not list(tmp_path.glob(".*tmp"))


def test_ingest_is_byte_identical_on_rerun(tmp_path):
    for run in ("a", "b"):
        assert main(["ingest", str(SEEDS), "--out", str(tmp_path / run)]) == 0
    for name in ("articles.parquet", "paragraphs.parquet", "ingest_report.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_bad_input_is_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Korea Herald\n10-07-2025\n- Politics\n\xff\xfe broken\n")
    proc = subprocess.run(
        [sys.executable, "-m", "toolkit", "ingest", str(bad), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"{bad}:4:" in proc.stderr and "not valid UTF-8" in proc.stderr


def test_skip_invalid_lists_skipped_files(tmp_path, capsys):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "000_good.txt").write_bytes((SEEDS / "001_6812afd88af436c7.txt").read_bytes())
    (pages / "001_empty.txt").write_bytes(b"")
    (pages / "002_prose.txt").write_text("Just some prose.\nMore prose.\n", encoding="utf-8")
    assert main(["ingest", str(pages), "--out", str(tmp_path / "out")]) == 2
    assert "001_empty.txt" in capsys.readouterr().err
    assert main(["ingest", str(pages), "--out", str(tmp_path / "out"), "--skip-invalid"]) == 0
    report = json.loads((tmp_path / "out" / "ingest_report.json").read_text())
    assert [(s["file"].rsplit("/", 1)[-1], s["line"]) for s in report["skipped_files"]] == [("001_empty.txt", None), ("002_prose.txt", 1)]
    assert report["articles"]["total"] == 5
    assert "skipped 2 invalid file(s)" in capsys.readouterr().out


def test_summary_prints_a_table(tmp_path, capsys):
    main(["ingest", str(SEEDS), "--out", str(tmp_path)])
    capsys.readouterr()
    assert main(["summary", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| Korea Herald" in out and "158 non-blank" in out
    assert main(["summary", str(tmp_path / "missing")]) == 2


def test_worker_processes_give_the_same_result(tmp_path):
    import shutil

    import toolkit

    pages = tmp_path / "pages"
    pages.mkdir()
    for k in range(40):
        src = sorted(SEEDS.glob("*.txt"))[k % 5]
        shutil.copy(src, pages / f"{k:03d}_{src.name}")
    serial = toolkit.load_corpus(pages, n_jobs=1)
    parallel = toolkit.load_corpus(pages, n_jobs=2)
    assert serial.articles.equals(parallel.articles)
    assert serial.paragraphs.equals(parallel.paragraphs)
    assert serial.report == parallel.report
    # 40 pages, 8 copies of each seed block: every later copy is a duplicate
    assert serial.articles.height == 160
    # 19 distinct bodies (the SCMP copies are identical) with 2 near pairs; 141 exact copies
    assert (serial.report["dedup"]["exact_pairs"], serial.report["dedup"]["pairs_total"]) == (141, 143)


def test_corrupt_file_in_a_worker_is_reported_with_its_line(tmp_path):
    import shutil

    import toolkit

    pages = tmp_path / "pages"
    pages.mkdir()
    for k in range(35):
        shutil.copy(SEEDS / "001_6812afd88af436c7.txt", pages / f"{k:03d}.txt")
    (pages / "017.txt").write_bytes(b"Korea Herald\n10-07-2025\n\x00\n")
    with pytest.raises(toolkit.CorpusError) as err:
        toolkit.load_corpus(pages, n_jobs=2)
    assert err.value.path.endswith("017.txt") and err.value.line == 3


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path, monkeypatch, capsys):
    import toolkit.corpus

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(toolkit.corpus, "write_corpus", interrupted)
    assert main(["ingest", str(SEEDS), "--out", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert err == "interrupted\n"


def test_control_characters_in_outlets_do_not_reach_the_terminal(tmp_path, capsys):
    import polars as pl

    main(["ingest", str(SEEDS), "--out", str(tmp_path)])
    articles = pl.read_parquet(tmp_path / "articles.parquet")
    articles.with_columns(pl.lit("Evil\x1b[2J\x1b]0;pwned\x07 Post").alias("outlet")).write_parquet(tmp_path / "articles.parquet")
    capsys.readouterr()
    assert main(["summary", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "Evil\\x1b[2J" in out


def test_error_messages_escape_control_characters(tmp_path, capsys):
    bad = tmp_path / "evil\x1b[31m.csv"
    bad.write_text("outlet,title,body\nX,T,B\x1b[2J\n", encoding="utf-8")
    assert main(["ingest", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert err.count("\n") == 1 and ":2: got control character(s) U+001B" in err


def test_ingest_takes_outlet_registry_and_chrome_rules(tmp_path, capsys):
    import polars as pl

    page = tmp_path / "p.txt"
    text = (SEEDS / "001_6812afd88af436c7.txt").read_text(encoding="utf-8").replace(
        "Military chiefs of S. Korea, US meet but avoid thorny issues\n",
        "Military chiefs of S. Korea, US meet but avoid thorny issues\nSponsored: try our premium plan\n", 1)
    page.write_text(text, encoding="utf-8")
    outlets = tmp_path / "outlets.csv"
    outlets.write_text("outlet,country,type,aliases\nKorea Herald,XX,newspaper,The Korea Herald\n", encoding="utf-8")
    chrome = tmp_path / "chrome.csv"
    chrome.write_text("match,pattern,reason\nregex,^sponsored:.*$,sponsored prompt\n", encoding="utf-8")
    assert main(["ingest", str(page), "--out", str(tmp_path / "plain")]) == 0
    assert main(["ingest", str(page), "--out", str(tmp_path / "own"), "--outlets", str(outlets), "--chrome", str(chrome)]) == 0
    plain = pl.read_parquet(tmp_path / "plain" / "articles.parquet")
    own = pl.read_parquet(tmp_path / "own" / "articles.parquet")
    assert "Sponsored: try our premium plan" in plain["body"][0]
    assert "Sponsored" not in own["body"][0]
    assert plain.filter(pl.col("outlet") == "Korea Herald")["outlet_country"][0] == "KR"
    assert set(own.filter(pl.col("outlet") == "Korea Herald")["outlet_country"]) == {"XX"}
    report = json.loads((tmp_path / "own" / "ingest_report.json").read_text())
    assert report["chrome_reasons"] == {"sponsored prompt": 1}


def test_ingest_maps_columns(tmp_path, capsys):
    table = tmp_path / "export.csv"
    pl.DataFrame({"source": ["Korea Herald"], "headline": ["Chiefs meet"], "content_original": ["The chiefs met on Friday."],
                  "date": ["2025-07-11"]}).write_csv(table)
    assert main(["ingest", str(table), "--out", str(tmp_path / "out"), "--columns", "outlet=source,body=content_original,published=date",
                 "--columns", "title=headline"]) == 0
    assert "1 articles" in capsys.readouterr().out
    articles = pl.read_parquet(tmp_path / "out" / "articles.parquet")
    assert articles.select("outlet", "title", "published").rows() == [("Korea Herald", "Chiefs meet", dt.date(2025, 7, 11))]
    assert main(["ingest", str(table), "--out", str(tmp_path / "out2"), "--columns", "colour=source"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "got 'colour' as a field in the column mapping" in err
