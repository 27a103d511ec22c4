"""Kannel (bearerbox + smsbox) under test, in front of the simulated SMPP carriers.

``config`` (a ``kannel.conf`` from a scenario: one ``smsc = smpp`` group per route,
prefix routing by price), ``gateway`` (carriers, bearerbox and smsbox started and
stopped together), ``collector`` (the HTTP endpoint Kannel posts receipts to),
``check`` (send messages through ``sendsms``, join Kannel's receipts with the carriers'
truth ledger), ``commands`` (``routesim kannel-check``).
"""

from sim.kannel.config import KannelError

__all__ = ["KannelError"]
