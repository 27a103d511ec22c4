"""Keyed random draws: common random numbers across strategies (DESIGN §2.4).

A message's draws on a route depend only on (seed, replication, route id, message id,
attempt), never on what else was routed: a routing change cannot shift a carrier's
latency draw for an unrelated message. Draws come in blocks of message ids generated
in one NumPy call per (route, block).
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

# Slots of one attempt's draw row. Uniforms in [0, 1) as drawn; a route's
# ``prepare_draws`` turns the delay slots into seconds for the whole block at once.
U_SYSTEM_ERROR = 0
U_OUTCOME = 1
U_SUBMIT_LATENCY = 2
U_HANDSET_LATENCY = 3
U_DLR_DELAY = 4
U_DLR_MISSING = 5
U_DLR_FAKE = 6
U_SENDER = 7
U_SENDER_DETAIL = 8
U_CONTENT = 9
U_DESTINATION_RULE = 10
U_FAKE_DLR_DELAY = 11
DRAWS_PER_ATTEMPT = 12

Block = npt.NDArray[np.float64]
_TWO_POW_M32 = 2.0**-32
_ROW_FORMAT = f"<{DRAWS_PER_ATTEMPT}I"

# Stream identifiers under a replication's SeedSequence.
STREAM_TRAFFIC = 0
STREAM_ROUTES = 1
STREAM_STRATEGY = 2


def stable_key(text: str) -> int:
    """A stable 32-bit key for a name (route ids key their random streams)."""
    return zlib.crc32(text.encode("utf-8"))


def replication_seed(
    seed: int, replication: int, stream: int, *extra: int
) -> np.random.SeedSequence:
    """The SeedSequence of one stream of one replication."""
    return np.random.SeedSequence(seed, spawn_key=(replication, stream, *extra))


class KeyedDraws:
    """Uniform draws for (message id, attempt) on one route.

    First attempts of customer messages (ids below ``dense_ids``) come from blocks of
    ``block_size`` consecutive ids, generated and prepared in one NumPy call per
    (route, block) — messages arrive in id order, so a few cached blocks serve them.
    Retries and sparse ids (probes) get a row hashed from their key (BLAKE2b, 32-bit
    uniforms), prepared by ``prepare_row``. Either way a row depends only on (seed,
    replication, route, message id, attempt).
    """

    def __init__(
        self,
        seed: int,
        replication: int,
        route_id: str,
        dense_ids: int,
        block_size: int = 2048,
        cached_blocks: int = 4,
        prepare: Callable[[Block], Block] | None = None,
        prepare_row: Callable[[list[float]], list[float]] | None = None,
    ) -> None:
        self._prepare = prepare
        self._prepare_row = prepare_row
        self._seed = seed
        self._replication = replication
        self._route_key = stable_key(route_id)
        self._dense_ids = dense_ids
        self._block_size = block_size
        self._cached_blocks = cached_blocks
        self._blocks: dict[int, Block] = {}
        self._last_index = -1
        self._last_block: Block | None = None
        self._key = struct.pack("<qqI", seed, replication, self._route_key)

    def _block(self, index: int) -> Block:
        block = self._blocks.get(index)
        if block is None:
            sequence = replication_seed(
                self._seed, self._replication, STREAM_ROUTES, self._route_key, index
            )
            rng = np.random.Generator(np.random.PCG64(sequence))
            block = rng.random((self._block_size, DRAWS_PER_ATTEMPT))
            if self._prepare is not None:
                block = self._prepare(block)
            if len(self._blocks) >= self._cached_blocks:
                del self._blocks[min(self._blocks)]
            self._blocks[index] = block
        return block

    def _hashed(self, msg_id: int, attempt: int) -> list[float]:
        digest = hashlib.blake2b(
            self._key + struct.pack("<qi", msg_id, attempt), digest_size=4 * DRAWS_PER_ATTEMPT
        ).digest()
        row = [(x + 0.5) * _TWO_POW_M32 for x in struct.unpack(_ROW_FORMAT, digest)]
        return self._prepare_row(row) if self._prepare_row is not None else row

    def row(self, msg_id: int, attempt: int) -> list[float]:
        """The draws of one attempt (attempt counts from 1)."""
        if attempt != 1 or msg_id >= self._dense_ids:
            return self._hashed(msg_id, attempt)
        block_index, offset = divmod(msg_id, self._block_size)
        if block_index == self._last_index and self._last_block is not None:
            block = self._last_block
        else:
            block = self._block(block_index)
            self._last_index, self._last_block = block_index, block
        return block[offset].tolist()  # type: ignore[no-any-return]
