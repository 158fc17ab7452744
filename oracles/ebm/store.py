"""Safe storage of EBM oracles: one safetensors file plus a JSON model card.

safetensors holds only named tensors and a string-to-string header, so loading runs no
code. The file's bytes are read once; their SHA-256 must equal the card's
``artifact.sha256`` before anything is parsed, and the same bytes are then parsed (no
second read a swapped file could slip through). Loading refuses, with
:class:`~gridmarket.oracles.store.OracleLoadError`, a tampered or replaced file, one
that is not valid safetensors, and one whose header lacks the EBM format fields.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from gridmarket.oracles.store import OracleLoadError, sha256_bytes

FORMAT = "gridmarket-ebm-oracle"
FORMAT_VERSION = 1


def dump_ebm(
    tensors: dict[str, torch.Tensor], metadata: dict[str, str], path: str | Path
) -> str:
    """Write tensors + string metadata as safetensors; return the file's SHA-256."""
    meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), **metadata}
    bad = [k for k, v in meta.items() if not isinstance(v, str)]
    if bad:
        raise TypeError(f"safetensors metadata values must be str; not str: {bad}")
    data = save_tensors(
        {k: v.detach().contiguous().cpu() for k, v in tensors.items()}, metadata=meta
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha256_bytes(data)


def _header_metadata(data: bytes, path: Path) -> dict[str, str]:
    try:
        (size,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
        meta = header.get("__metadata__", {})
    except Exception as exc:  # any malformed header means an unreadable file
        raise OracleLoadError(
            f"EBM oracle file {str(path)!r} has no readable safetensors header: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(meta, dict):
        raise OracleLoadError(f"EBM oracle file {str(path)!r}: metadata is not a map")
    return meta


def load_ebm(
    path: str | Path, *, expected_sha256: str
) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """``(tensors, metadata)`` of a verified EBM oracle file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"EBM oracle file {str(path)!r} is missing; rebuild it with "
            f"`gridmarket oracles tune --model ebm` or reinstall gridmarket"
        )
    data = path.read_bytes()
    actual = sha256_bytes(data)
    if actual != expected_sha256:
        raise OracleLoadError(
            f"EBM oracle file {str(path)!r} has SHA-256 {actual}, but its model card "
            f"records {expected_sha256}: the file was modified or replaced; refusing "
            f"to load it"
        )
    meta = _header_metadata(data, path)
    if meta.get("format") != FORMAT or meta.get("format_version") != str(
        FORMAT_VERSION
    ):
        raise OracleLoadError(
            f"EBM oracle file {str(path)!r} has format {meta.get('format')!r} "
            f"v{meta.get('format_version')!r}, expected {FORMAT!r} v{FORMAT_VERSION}"
        )
    try:
        tensors = load_tensors(data)
    except Exception as exc:  # safetensors raises its own error type
        raise OracleLoadError(
            f"EBM oracle file {str(path)!r} is not valid safetensors: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return tensors, meta


def metadata_json(meta: dict[str, str], key: str, path: str | Path) -> Any:
    """A JSON-valued metadata entry, or a clear error."""
    try:
        return json.loads(meta[key])
    except (KeyError, json.JSONDecodeError) as exc:
        raise OracleLoadError(
            f"EBM oracle file {str(path)!r}: metadata {key!r} is missing or not JSON"
        ) from exc
