"""Framing toolkit: from scraped news pages to Polars frames, embeddings and maps.

Public entry points are loaded lazily so that ``import toolkit`` stays cheap
and never imports torch unless embeddings are asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "load_corpus": ("toolkit.corpus", "load_corpus"),
    "Corpus": ("toolkit.corpus", "Corpus"),
    "write_corpus": ("toolkit.corpus", "write_corpus"),
    "CorpusError": ("toolkit.errors", "CorpusError"),
    "extra_columns": ("toolkit.tabular", "extra_columns"),
    "embed": ("toolkit.embedding", "embed"),
    "embed_with_report": ("toolkit.embedding", "embed_with_report"),
    "embed_dir": ("toolkit.embedding", "embed_dir"),
    "read_provenance": ("toolkit.embedding", "read_provenance"),
    "embedding_backends": ("toolkit.embedder", "embedding_backends"),
    "Embedder": ("toolkit.embedder", "Embedder"),
    "cluster_paragraphs": ("toolkit.clustering", "cluster_paragraphs"),
    "group_events": ("toolkit.events", "group_events"),
    "project": ("toolkit.projection", "project"),
    "static_map": ("toolkit.maps", "static_map"),
    "interactive_map": ("toolkit.maps", "interactive_map"),
    "small_multiples": ("toolkit.maps", "small_multiples"),
    "analyze_dir": ("toolkit.analysis", "analyze_dir"),
    "prose": ("toolkit.safe", "prose"),
    "escape_markdown": ("toolkit.safe", "escape_markdown"),
    # the outlet measures of the comparison engine (toolkit.engine)
    "outlet_shares": ("toolkit.shares", "outlet_shares"),
    "fightin_words": ("toolkit.distinctive", "fightin_words"),
    "outlet_distances": ("toolkit.distances", "outlet_distances"),
    "axis_by_outlet": ("toolkit.semaxis", "axis_by_outlet"),
    "apply_wire_policy": ("toolkit.wire", "apply_wire_policy"),
    "article_frames": ("toolkit.frames", "article_frames"),
    "lexicon_frames": ("toolkit.frames", "lexicon_frames"),
    "load_codebook": ("toolkit.codebook", "load_codebook"),
    "fit_frame_classifier": ("toolkit.frame_classifier", "fit_frame_classifier"),
    "load_frame_classifier": ("toolkit.frame_classifier", "load_frame_classifier"),
    "frame_agreement": ("toolkit.validation", "frame_agreement"),
    "evaluate_frames": ("toolkit.validation", "evaluate_frames"),
    "coding_sample": ("toolkit.coding", "coding_sample"),
    "write_coding_sheet": ("toolkit.coding", "write_coding_sheet"),
    "read_codings": ("toolkit.coding", "read_codings"),
    "adjudicate": ("toolkit.coding", "adjudicate"),
    "corrected_shares": ("toolkit.prevalence", "corrected_shares"),
    "stamp_scorer": ("toolkit.prevalence", "stamp_scorer"),
    "validate_dir": ("toolkit.validation_report", "validate_dir"),
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:  # pragma: no cover
    from toolkit.analysis import analyze_dir
    from toolkit.clustering import cluster_paragraphs
    from toolkit.distances import outlet_distances
    from toolkit.distinctive import fightin_words
    from toolkit.codebook import load_codebook
    from toolkit.coding import adjudicate, coding_sample, read_codings, write_coding_sheet
    from toolkit.frame_classifier import fit_frame_classifier, load_frame_classifier
    from toolkit.frames import article_frames, lexicon_frames
    from toolkit.prevalence import corrected_shares, stamp_scorer
    from toolkit.validation import evaluate_frames, frame_agreement
    from toolkit.validation_report import validate_dir
    from toolkit.corpus import Corpus, load_corpus, write_corpus
    from toolkit.embedder import Embedder, embedding_backends
    from toolkit.embedding import embed, embed_dir, embed_with_report, read_provenance
    from toolkit.errors import CorpusError
    from toolkit.tabular import extra_columns
    from toolkit.events import group_events
    from toolkit.maps import interactive_map, small_multiples, static_map
    from toolkit.projection import project
    from toolkit.safe import escape_markdown, prose
    from toolkit.semaxis import axis_by_outlet
    from toolkit.shares import outlet_shares
    from toolkit.wire import apply_wire_policy


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    msg = f"module 'toolkit' has no attribute {name!r}"
    raise AttributeError(msg)
