"""Duplicate and syndicated-copy detection in bounded memory.

Method (documented threshold):

1. Bodies are reduced to word 5-gram shingles of their case-folded words
   (``\\w+`` runs). Each word is hashed with CRC-32 and each 5-gram's hash is
   a seeded multiply-shift combination of its five word hashes, kept to 32
   bits (uint32 arrays). Bodies whose shingle sets are identical
   are exact copies; they are recognised by a 128-bit BLAKE2b digest of the
   sorted set, so only one copy of each distinct body is sketched.
2. Candidate pairs among distinct bodies come from MinHash signatures
   (128 permutations of one seeded multiply-add-shift family, computed with
   numpy at ``add`` time) banded by *size-partitioned* LSH, as in LSH
   Ensemble: bodies fall in bins of shingle-set size growing by 25 %, and for
   each pair of bins the band width ``r`` (``128 // r`` bands) is the largest
   whose collision probability is at least 0.95 for a pair of containment
   0.8 at the most unequal sizes the two bins allow. Containment ``c`` of
   the smaller set of size ``q`` in a larger one of size ``u`` means Jaccard
   ``c q / (u + q - c q)``, so a truncated copy (a short set inside a long
   one) gets narrow bands and many of them, and equal-size pairs get wide
   bands that keep unrelated pairs out. Pairs at the threshold itself (0.6)
   are found with lower probability, and bands never have fewer than two
   rows (``MIN_BAND_ROWS``), so an excerpt shorter than about a fifth of its
   original may be missed; ``tests/test_dedup.py`` measures recall on
   truncated (first 30-60 %) and lightly edited copies.
3. Candidates whose containment estimated from the whole signatures is
   below 0.3 (``PREFILTER_CONTAINMENT``) are dropped; each remaining one is
   verified exactly on the shingle hashes: containment
   ``|A ∩ B| / min(|A|, |B|) >= 0.6`` joins the two articles in one story.

Cost: :func:`sketch` (shingles and signature) is the per-article work; it
runs where a file is parsed, so ``write_corpus(..., n_jobs=2)`` spreads it
over worker processes, and the index itself only digests and spills.
``benchmarks/bench_ingest.py --dedup-sizes`` measures throughput, memory and
the recall of planted copies on distinct synthetic articles.

Memory: per article an outlet code, the body length and the index of its
distinct body (16 bytes); per distinct body a digest-table entry, an offset
and a size (about 150 bytes). Shingle arrays and signatures are spilled to
files in a private temporary directory (``tempfile.TemporaryDirectory``):
one concatenated uint32 array of shingles with offsets, read back per
candidate pair, and one signature file per size bin, read one bin pair at a
time when resolving. A bucket of more than ``MAX_BUCKET`` bodies sharing a
band (near-identical copies of one story) contributes a star of pairs to
its first member rather than every pair.

Within a story the most complete copy (longest body; ties go to the earliest
in input order) is the canonical one and its ``article_id`` is the
``story_id``. A copy from the *same* outlet (or from a block that names no
outlet) points at its outlet's most complete copy through ``duplicate_of``;
copies in *other* outlets are syndicated wire copy: same ``story_id``,
``duplicate_of`` null. On the seed corpus true pairs score at least 0.92
and the highest unrelated pair scores 0.13 (``tests/test_dedup.py``).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
import zlib
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

SHINGLE_WORDS = 5
CONTAINMENT_THRESHOLD = 0.6
NUM_PERM = 128
SEED = 1
# Banding is designed so that a pair of this containment is a candidate with
# at least this probability, at the most unequal sizes of its two size bins.
DESIGN_CONTAINMENT = 0.8
DESIGN_RECALL = 0.95
SIZE_BIN_RATIO = 1.25
MAX_BAND_ROWS = 8
# One-row bands (any shared minimum) would let every pair that shares a common
# phrase through: at a million articles that is billions of candidates. With
# two rows, a copy of at least a fifth of its original (containment 1) is a
# candidate with probability >= 0.93; shorter excerpts are found less often.
MIN_BAND_ROWS = 2
MAX_BUCKET = 64
# Candidates whose containment estimated from all 128 signature positions is
# below this are not verified: a pair at the threshold (0.6) falls this low
# with probability about 0.3 % at a 1:3 size ratio (less at closer sizes),
# while most chance band collisions between unrelated articles go.
PREFILTER_CONTAINMENT = 0.3
_WORDS = re.compile(r"\w+")
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)


def _family(size: int, *, seed: int = SEED) -> np.ndarray:
    """Seeded odd 64-bit multipliers (a multiply-shift hash family)."""
    rng = np.random.default_rng([seed, size])
    return rng.integers(1, 2**63, size=size, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


_GRAM_MULT = {SHINGLE_WORDS: _family(SHINGLE_WORDS)}
_PERM_A = _family(NUM_PERM, seed=SEED + 1)
_PERM_B = _family(NUM_PERM, seed=SEED + 2)
_BAND_MULT = _family(MAX_BAND_ROWS, seed=SEED + 3)


def shingle_array(text: str, *, size: int = SHINGLE_WORDS) -> np.ndarray:
    """Sorted distinct 32-bit hashes of the word ``size``-grams of ``text`` (uint32)."""
    words = _WORDS.findall(text.casefold())
    if not words:
        return np.empty(0, dtype=np.uint32)
    h = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
    mult = _GRAM_MULT.get(size)
    if mult is None:
        mult = _GRAM_MULT.setdefault(size, _family(size))
    # A text shorter than one shingle is one shingle of all its words.
    width = min(size, len(words))
    n = len(words) - width + 1
    acc = h[:n] * mult[0]
    for k in range(1, width):
        acc += h[k : k + n] * mult[k]
    return np.unique((acc >> _SHIFT32).astype(np.uint32))


@lru_cache(maxsize=4096)
def shingles(text: str, *, size: int = SHINGLE_WORDS) -> frozenset[int]:
    """Stable 32-bit hashes of the word ``size``-grams of ``text``."""
    return frozenset(shingle_array(text, size=size).tolist())


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    """Share of the smaller set's shingles found in the other set."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def signature(shingle_hashes: np.ndarray) -> np.ndarray:
    """MinHash signature (``NUM_PERM`` uint32 minima) of a shingle array."""
    if len(shingle_hashes) == 0:
        return np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    out = np.multiply.outer(shingle_hashes.astype(np.uint64), _PERM_A)
    out += _PERM_B
    out >>= _SHIFT32
    return out.min(axis=0).astype(np.uint32)


@dataclass(frozen=True)
class Sketch:
    """What the index keeps of one body: its shingle array and MinHash signature."""

    shingles: np.ndarray
    signature: np.ndarray


@lru_cache(maxsize=4096)
def sketch(body: str) -> Sketch:
    """Shingles and signature of ``body`` (picklable, so worker processes can compute it).

    Cached: re-listed and syndicated bodies repeat, and cleaning hands back the
    same string object for a repeated body. The arrays are read-only.
    """
    s = shingle_array(body)
    sig = signature(s)
    s.flags.writeable = False
    sig.flags.writeable = False
    return Sketch(s, sig)


@dataclass(frozen=True)
class DedupInput:
    """What deduplication needs to know of one article."""

    article_id: str
    order: int
    outlet: str | None
    body: str


@dataclass(frozen=True)
class DedupResult:
    """Per article: its canonical copy (or None) and its story."""

    duplicate_of: dict[str, str | None]
    story_id: dict[str, str]
    pairs: list[tuple[str, str, float]]
    n_exact: int = 0


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64)

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return int(i)

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def roots(self) -> np.ndarray:
        parent = self.parent
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return parent
            parent = grand


def size_bin(n: int) -> int:
    """Size bin of a shingle set of ``n`` elements (bins grow by ``SIZE_BIN_RATIO``)."""
    return math.floor(math.log(n) / math.log(SIZE_BIN_RATIO) + 1e-9)


def band_rows(small_bin: int, large_bin: int) -> int:
    """Rows per band for candidate pairs between two size bins (``small_bin <= large_bin``)."""
    q = SIZE_BIN_RATIO**small_bin
    u = SIZE_BIN_RATIO ** (large_bin + 1)
    c = DESIGN_CONTAINMENT
    jaccard = c * q / (u + q - c * q)
    for r in range(MAX_BAND_ROWS, MIN_BAND_ROWS, -1):
        if 1 - (1 - jaccard**r) ** (NUM_PERM // r) >= DESIGN_RECALL:
            return r
    return MIN_BAND_ROWS


def _signatures_of(ids: np.ndarray, bins: tuple[tuple[np.ndarray, np.ndarray], ...]) -> np.ndarray:
    """Signature rows of distinct bodies ``ids``, each in one of ``bins`` (ids ascending in each)."""
    out = np.empty((len(ids), NUM_PERM), dtype=np.uint32)
    todo = np.ones(len(ids), dtype=bool)
    for bin_ids, sig in bins:
        if not len(bin_ids):
            continue
        pos = np.minimum(np.searchsorted(bin_ids, ids), len(bin_ids) - 1)
        here = todo & (bin_ids[pos] == ids)
        out[here] = sig[pos[here]]
        todo &= ~here
    return out


def _band_keys(sig: np.ndarray, band: int, r: int) -> np.ndarray:
    cols = sig[:, band * r : (band + 1) * r].astype(np.uint64)
    return (cols * _BAND_MULT[:r]).sum(axis=1, dtype=np.uint64)


def _bucket_pairs(keys: np.ndarray, ids: np.ndarray, side: np.ndarray | None) -> list[np.ndarray]:
    """Pairs of ids sharing a key (across sides when ``side`` is given), as (m, 2) arrays."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    lengths = np.diff(np.r_[starts, len(k)])
    out: list[np.ndarray] = []
    two = starts[lengths == 2]
    if len(two):
        a, b = ids[order[two]], ids[order[two + 1]]
        if side is not None:
            keep = side[order[two]] != side[order[two + 1]]
            a, b = a[keep], b[keep]
        out.append(np.stack([a, b], axis=1))
    for s, n in zip(starts[lengths > 2].tolist(), lengths[lengths > 2].tolist(), strict=True):
        members = order[s : s + n]
        mids = ids[members]
        if n > MAX_BUCKET:
            # near-identical copies of one story: a star to the first member connects them
            out.append(np.stack([np.full(n - 1, mids[0]), mids[1:]], axis=1))
            continue
        ii, jj = np.triu_indices(n, 1)
        if side is not None:
            sd = side[members]
            keep = sd[ii] != sd[jj]
            ii, jj = ii[keep], jj[keep]
        out.append(np.stack([mids[ii], mids[jj]], axis=1))
    return out


@dataclass(frozen=True)
class PositionResult:
    """Duplicate resolution by article position (input order).

    ``duplicate_of[i]`` and ``story[i]`` are positions (-1: none); ``pairs``
    holds ``(i, j, containment)``: near-duplicates first, then exact copies,
    at most ``max_pairs`` of them; ``n_pairs`` and ``n_exact`` count all.
    """

    duplicate_of: np.ndarray
    story: np.ndarray
    pairs: list[tuple[int, int, float]]
    n_pairs: int
    n_exact: int


class DuplicateIndex:
    """Streaming duplicate detection: add articles in input order, then resolve.

    Per article only an outlet code, the body length and the index of its
    distinct body are kept in memory (compact arrays, 16 bytes); per distinct
    body a digest, an offset and a size. Shingles and signatures go to files
    in a private temporary directory, removed by :meth:`close` (or when the
    index is garbage-collected), so memory grows with the number of articles,
    not with their text.
    """

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="toolkit-dedup-")
        root = Path(self._tmp.name)
        self._dir = root
        self._shingle_file = open(root / "shingles.u32", "w+b")  # noqa: SIM115 - closed in close()
        self._bin_files: dict[int, tuple[object, array]] = {}
        self._offsets = array("q")
        self._sizes = array("i")
        self._body_key: dict[bytes, int] = {}
        self._outlet_code: dict[str, int] = {}
        self._outlets = array("i")
        self._lengths = array("q")
        self._member_of = array("i")
        self._written = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def __enter__(self) -> DuplicateIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the spill files."""
        for f, _ in self._bin_files.values():
            f.close()  # type: ignore[attr-defined]
        self._bin_files.clear()
        if not self._shingle_file.closed:
            self._shingle_file.close()
        self._tmp.cleanup()

    @property
    def n_distinct(self) -> int:
        """Number of distinct bodies (distinct shingle sets)."""
        return len(self._sizes)

    def add(self, outlet: str | None, body: str) -> int:
        """Register one article; return its position."""
        return self.add_sketch(outlet, len(body), sketch(body))

    def add_sketch(self, outlet: str | None, length: int, body_sketch: Sketch) -> int:
        """Register one article from its precomputed :func:`sketch`; return its position."""
        s = body_sketch.shingles
        digest = hashlib.blake2b(s.tobytes(), digest_size=16).digest()
        key = self._body_key.setdefault(digest, len(self._sizes))
        if key == len(self._sizes):
            self._offsets.append(self._written)
            self._sizes.append(len(s))
            self._shingle_file.write(s.tobytes())
            self._written += len(s)
            if len(s):
                b = size_bin(len(s))
                if b not in self._bin_files:
                    self._bin_files[b] = (open(self._dir / f"sig{b}.u32", "w+b"), array("i"))  # noqa: SIM115
                f, ids = self._bin_files[b]
                f.write(body_sketch.signature.astype(np.uint32).tobytes())  # type: ignore[attr-defined]
                ids.append(key)
        code = -1 if outlet is None else self._outlet_code.setdefault(outlet.casefold(), len(self._outlet_code))
        self._outlets.append(code)
        self._lengths.append(length)
        self._member_of.append(key)
        return len(self._lengths) - 1

    def _load_bin(self, b: int) -> tuple[np.ndarray, np.ndarray]:
        f, ids = self._bin_files[b]
        f.flush()  # type: ignore[attr-defined]
        f.seek(0)  # type: ignore[attr-defined]
        sig = np.fromfile(f, dtype=np.uint32).reshape(-1, NUM_PERM)
        f.seek(0, os.SEEK_END)  # type: ignore[attr-defined]
        return sig, np.frombuffer(ids, dtype=np.int32).astype(np.int64)

    def candidate_pairs(self) -> np.ndarray:
        """Candidate pairs ``(a, b)``, ``a < b``, of distinct-body indices, sorted and unique."""
        n = max(self.n_distinct, 1)
        found: list[np.ndarray] = []
        bins = sorted(self._bin_files)
        for qi, small in enumerate(bins):
            sig_s, ids_s = self._load_bin(small)
            for large in bins[qi:]:
                r = band_rows(small, large)
                same = large == small
                sig_l, ids_l = (sig_s, ids_s) if same else self._load_bin(large)
                ids = ids_s if same else np.concatenate([ids_s, ids_l])
                side = None if same else np.r_[np.zeros(len(ids_s), np.int8), np.ones(len(ids_l), np.int8)]
                codes: list[np.ndarray] = []
                for band in range(NUM_PERM // r):
                    keys = _band_keys(sig_s, band, r)
                    if not same:
                        keys = np.concatenate([keys, _band_keys(sig_l, band, r)])
                    for p in _bucket_pairs(keys, ids, side):
                        lo, hi = np.minimum(p[:, 0], p[:, 1]), np.maximum(p[:, 0], p[:, 1])
                        codes.append(lo * n + hi)
                if codes:
                    found.append(self._prefilter(np.unique(np.concatenate(codes)), n, (ids_s, sig_s), (ids_l, sig_l)))
                del sig_l
        if not found:
            return np.empty((0, 2), dtype=np.int64)
        codes = np.unique(np.concatenate(found))
        return np.stack([codes // n, codes % n], axis=1)

    def _prefilter(self, codes: np.ndarray, n: int, *bins: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Drop candidates whose containment, estimated from the whole signatures, is far below the threshold."""
        sizes = np.frombuffer(self._sizes, dtype=np.int32).astype(np.float64)
        kept = []
        for start in range(0, len(codes), 50_000):  # bounded memory: two signatures per pair
            chunk = codes[start : start + 50_000]
            a, b = chunk // n, chunk % n
            agree = (_signatures_of(a, bins) == _signatures_of(b, bins)).mean(axis=1)
            qa, qb = sizes[a], sizes[b]
            estimate = agree * (qa + qb) / (1 + agree) / np.minimum(qa, qb)
            kept.append(chunk[estimate >= PREFILTER_CONTAINMENT])
        return np.concatenate(kept) if kept else codes

    def _read(self, d: int) -> np.ndarray:
        size = self._sizes[d]
        data = os.pread(self._shingle_file.fileno(), 4 * size, 4 * self._offsets[d])
        return np.frombuffer(data, dtype=np.uint32)

    def resolve_positions(self, *, max_pairs: int | None = None) -> PositionResult:
        """Group copies of the same story and pick canonical articles."""
        self._shingle_file.flush()
        n_distinct = self.n_distinct
        uf = _UnionFind(n_distinct)
        scored: list[tuple[int, int, float]] = []
        current, current_set = -1, np.empty(0, dtype=np.uint32)
        for a, b in self.candidate_pairs().tolist():
            if a != current:
                current, current_set = a, self._read(a)
            other = self._read(b)
            # both arrays are sorted and distinct: count common elements exactly
            idx = np.searchsorted(other, current_set)
            common = int(np.count_nonzero(other[np.minimum(idx, len(other) - 1)] == current_set))
            score = common / min(len(current_set), len(other))
            if score >= CONTAINMENT_THRESHOLD:
                uf.union(a, b)
                scored.append((a, b, score))

        member_of = np.frombuffer(self._member_of, dtype=np.int32).astype(np.int64)
        lengths = np.frombuffer(self._lengths, dtype=np.int64)
        outlets = np.frombuffer(self._outlets, dtype=np.int32).astype(np.int64)
        n = len(member_of)
        positions = np.arange(n, dtype=np.int64)
        # Most complete first: longest body, then input order.
        order = np.lexsort((positions, -lengths))
        root = uf.roots()[member_of] if n else member_of
        # the first article (in that order) of each group is its canonical copy
        groups, first = np.unique(root[order], return_index=True)
        canonical_of_root = np.zeros(max(n_distinct, 1), dtype=np.int64)
        canonical_of_root[groups] = order[first]
        story = canonical_of_root[root] if n else np.empty(0, dtype=np.int64)
        # A block that names no outlet belongs to its story's canonical outlet.
        outlet = np.where(outlets >= 0, outlets, outlets[story]) if n else outlets
        key = root * (len(self._outlet_code) + 2) + (outlet + 1)
        # each outlet's most complete copy within the group: the first of its key in that order
        _, first_k, inverse = np.unique(key[order], return_index=True, return_inverse=True)
        best = np.empty(n, dtype=np.int64)
        best[order] = order[first_k][inverse]
        duplicate_of = np.where(best == positions, -1, best).astype(np.int64)

        # exact copies: every article whose distinct body appeared earlier
        distinct_ids, first_pos = np.unique(member_of, return_index=True)
        first_member = np.zeros(max(n_distinct, 1), dtype=np.int64)
        first_member[distinct_ids] = first_pos
        copies = np.flatnonzero(first_member[member_of] != positions) if n else positions
        n_exact = len(copies)
        listed = copies if max_pairs is None else copies[:max_pairs]
        exact = [(int(first_member[member_of[i]]), int(i), 1.0) for i in listed.tolist()]
        # near-duplicates first: they are the judgement calls worth reading
        near = [(int(first_member[a]), int(first_member[b]), round(score, 4)) for a, b, score in scored]
        pairs = near + exact
        if max_pairs is not None:
            pairs = pairs[:max_pairs]
        return PositionResult(duplicate_of, story, pairs, n_pairs=len(near) + n_exact, n_exact=n_exact)


def find_duplicates(items: list[DedupInput]) -> DedupResult:
    """Group copies of the same story and pick canonical articles.

    Parameters
    ----------
    items : list of DedupInput
        One per article, in input order (``order`` breaks ties).

    Returns
    -------
    DedupResult
    """
    items = sorted(items, key=lambda i: i.order)
    with DuplicateIndex() as index:
        for item in items:
            index.add(item.outlet, item.body)
        found = index.resolve_positions()
    ids = [i.article_id for i in items]
    return DedupResult(
        duplicate_of={ids[k]: (ids[d] if d >= 0 else None) for k, d in enumerate(found.duplicate_of.tolist())},
        story_id={ids[k]: ids[c] for k, c in enumerate(found.story.tolist())},
        pairs=[(ids[a], ids[b], c) for a, b, c in found.pairs],
        n_exact=found.n_exact,
    )
