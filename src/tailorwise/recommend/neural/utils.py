"""Helpers shared by the PyTorch models: device, threads, sequences, state, progress."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from tailorwise.columns import Columns as C
from tailorwise.data.interactions import Interactions
from tailorwise.errors import ConfigError

STATE_PREFIX = "net."


def resolve_device(device: str) -> torch.device:
    """``auto`` is CUDA when available, else CPU; ``cpu`` / ``cuda`` / ``cuda:N`` as given."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ConfigError(f"device must be 'auto', 'cpu' or 'cuda[:N]', got {device!r}") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} asked for, but no CUDA GPU is available; use 'auto'")
    return dev


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch inside the block without disturbing the caller's global RNG state."""
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        torch.set_num_threads(max(1, min(threads, os.cpu_count() or 1)))
        try:
            yield
        finally:
            torch.set_num_threads(threads)


def check_training_params(model: Any, positive: tuple[str, ...], losses: tuple[str, ...]) -> None:
    """The hyperparameter rules every PyTorch model shares, with errors naming the model."""
    name = getattr(model, "name", "model")
    for p in positive:
        if int(getattr(model, p)) < 1:
            raise ConfigError(f"{name}: {p} must be >= 1, got {getattr(model, p)}")
    epochs, lr, decay = (getattr(model, p) for p in ("epochs", "lr", "weight_decay"))
    if epochs < 0 or not lr > 0 or decay < 0:
        raise ConfigError(f"{name}: need epochs >= 0, lr > 0 and weight_decay >= 0")
    dropout = model.dropout
    if not 0 <= dropout < 1:
        raise ConfigError(f"{name}: dropout must be in [0, 1), got {dropout}")
    loss = model.loss
    if loss not in losses:
        allowed = " or ".join(repr(x) for x in losses)
        raise ConfigError(f"{name}: loss must be {allowed}, got {loss!r}")
    resolve_device(model.device)


def user_sequences(data: Interactions, max_len: int) -> np.ndarray:
    """(n_users, max_len) of item index + 1, left-padded with 0: the last ``max_len`` positives.

    Order is ``Interactions.order()``: time, then the seeded random tie-break.
    """
    users, items, from_end = data.liked_in_order()
    keep = from_end < max_len
    out = np.zeros((data.n_users, max_len), dtype=np.int64)
    out[users[keep], max_len - 1 - from_end[keep]] = items[keep] + 1
    return out


def user_windows(data: Interactions, length: int) -> np.ndarray:
    """Every user's positives cut into windows of ``length`` (item index + 1, left-padded).

    Windows end at the user's last item and step back ``length - 1`` items at a
    time, so consecutive windows share one item and every next-item transition
    is trained on once per epoch, however long the history: a user with 300
    items gives six windows of 50, not only the latest 50.
    """
    users, items, from_end = data.liked_in_order()
    sizes = np.bincount(users, minlength=data.n_users)
    step = max(length - 1, 1)
    rows: list[np.ndarray] = []
    for shift in range(0, int(sizes.max(initial=0)), step):
        keep = (from_end >= shift) & (from_end < shift + length) & (sizes[users] > shift + 1)
        if not keep.any():
            break
        owners, first = np.unique(users[keep], return_inverse=True)
        block = np.zeros((len(owners), length), dtype=np.int64)
        block[first, length - 1 - (from_end[keep] - shift)] = items[keep] + 1
        rows.append(block)
    return np.concatenate(rows) if rows else np.zeros((0, length), dtype=np.int64)


def titles(data: Interactions) -> np.ndarray:
    """Display name per internal item: the title, or the item id when there is none."""
    meta = data.item_meta
    names = meta[C.title].where(meta[C.title].notna(), meta[C.item])
    return names.astype(str).to_numpy(dtype=object)


def state_to_numpy(module: torch.nn.Module) -> dict[str, np.ndarray]:
    return {STATE_PREFIX + k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}


def numpy_to_state(state: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {
        k.removeprefix(STATE_PREFIX): torch.from_numpy(np.array(v))
        for k, v in state.items()
        if k.startswith(STATE_PREFIX)
    }
