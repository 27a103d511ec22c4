"""Simulated SMPP 3.4 carriers: the world model's routes behind real SMPP sockets.

``pdu`` (codec), ``text`` (data codings, concatenation), ``receipt`` (delivery
receipts), ``carrier`` (a route's world side), ``ledger`` (truth records), ``smsc``
(sessions and servers), ``client`` (a small ESME), ``commands`` (``routesim carriers``).
"""

from sim.smpp.pdu import Pdu, PduError, decode, encode

__all__ = ["Pdu", "PduError", "decode", "encode"]
