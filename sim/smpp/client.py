"""A small asyncio ESME (SMPP client) built on the codec: tests and benchmarks.

:class:`EsmeClient` connects, binds, pipelines requests (each :meth:`request` returns
the response PDU matched by sequence number, ``generic_nack`` included), answers the
SMSC's deliver_sm with deliver_sm_resp and queues them in :attr:`receipts`. It is not a
production gateway: no reconnects, no window of its own (callers bound it).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools

from sim.smpp import pdu as p
from sim.smpp.text import concatenated_parts


class EsmeClient:
    """One SMPP session from the ESME side."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.receipts: asyncio.Queue[p.Pdu] = asyncio.Queue()
        self.nacks: list[p.Pdu] = []  # generic_nack not matching a request
        self._waiting: dict[int, asyncio.Future[p.Pdu]] = {}
        self._sequence = itertools.count(1)
        self._refs = itertools.count(1)
        self._reader_task = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, host: str, port: int) -> EsmeClient:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    @property
    def closed(self) -> bool:
        """True once the SMSC closed the connection."""
        return self._reader_task.done()

    async def _read(self) -> None:
        try:
            while True:
                header = await self.reader.readexactly(4)
                length = p.frame_length(header)
                frame = header + await self.reader.readexactly(length - 4)
                self._dispatch(p.decode(frame))
        except (asyncio.IncompleteReadError, ConnectionError, p.PduError) as exc:
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError(f"session closed: {exc}"))
            self._waiting.clear()

    def _dispatch(self, pdu: p.Pdu) -> None:
        if pdu.command_id == p.DELIVER_SM:
            self.write(p.response(pdu, p.ESME_ROK, p.MessageIdResp()))
            self.receipts.put_nowait(pdu)
            return
        if pdu.command_id == p.ENQUIRE_LINK:
            self.write(p.response(pdu))
            return
        future = self._waiting.pop(pdu.sequence, None)
        if future is not None and not future.done():
            future.set_result(pdu)
        elif pdu.command_id == p.GENERIC_NACK:
            self.nacks.append(pdu)

    def write(self, pdu: p.Pdu) -> None:
        self.writer.write(p.encode(pdu))

    def send(self, command_id: int, body: p.Body = None) -> asyncio.Future[p.Pdu]:
        """Send a request; the future resolves to its response (or generic_nack)."""
        sequence = next(self._sequence)
        future: asyncio.Future[p.Pdu] = asyncio.get_running_loop().create_future()
        if self.closed:
            future.set_exception(ConnectionError("session closed"))
            return future
        self._waiting[sequence] = future
        self.write(p.Pdu(command_id, sequence, body=body))
        return future

    async def request(self, command_id: int, body: p.Body = None) -> p.Pdu:
        future = self.send(command_id, body)
        await self.writer.drain()
        return await future

    async def bind(
        self, system_id: str, password: str, command_id: int = p.BIND_TRANSCEIVER
    ) -> int:
        """Bind; returns the command_status."""
        resp = await self.request(command_id, p.Bind(system_id, password))
        return resp.status

    def submit_parts(
        self, source: str, destination: str, text: str, *, receipt: bool = True
    ) -> list[asyncio.Future[p.Pdu]]:
        """Send ``text`` as one submit_sm, or UDH-concatenated parts; a future per part."""
        ref = next(self._refs) & 0xFF
        futures = []
        for esm_class, coding, data in concatenated_parts(text, ref):
            body = p.ShortMessage(
                source_addr_ton=5 if not source.isdigit() else 1, source_addr=source,
                dest_addr_ton=1, dest_addr_npi=1, destination_addr=destination.lstrip("+"),
                esm_class=esm_class, registered_delivery=1 if receipt else 0,
                data_coding=coding, short_message=data,
            )  # fmt: skip
            futures.append(self.send(p.SUBMIT_SM, body))
        return futures

    async def submit(
        self, source: str, destination: str, text: str, *, receipt: bool = True
    ) -> list[p.Pdu]:
        """Submit ``text`` and wait for every part's submit_sm_resp."""
        futures = self.submit_parts(source, destination, text, receipt=receipt)
        await self.writer.drain()
        return list(await asyncio.gather(*futures))

    async def unbind(self) -> None:
        with contextlib.suppress(ConnectionError):
            await asyncio.wait_for(self.request(p.UNBIND), 5.0)

    async def close(self) -> None:
        self._reader_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader_task
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()
