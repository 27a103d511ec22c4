"""Locust file of the live benchmark (``benchmarks/bench_live.py``): submits only.

One request shape against any target — ``routesim serve`` or the trivial endpoint —
so the two rates compare the servers, not the users. With ``BENCH_USER_RATE`` set,
each user paces itself to that many submits per second; otherwise users submit back
to back (the maximum rate).
"""

from __future__ import annotations

import itertools
import os

from locust import FastHttpUser, constant, constant_throughput, task

_RATE = float(os.environ.get("BENCH_USER_RATE", "0"))
_NUMBERS = itertools.count(int(os.environ.get("BENCH_NUMBER_START", "0")) + os.getpid() * 100_000)


class SubmitUser(FastHttpUser):
    """An OTP submit to a fr-orange number of live-smoke, no callback."""

    wait_time = constant_throughput(_RATE) if _RATE > 0 else constant(0)

    @task
    def submit(self) -> None:
        number = f"+3367{next(_NUMBERS) % 10_000_000:07d}"
        self.client.post(
            "/v1/messages",
            json={"to": number, "from": "ACMEBANK", "text": "Your code is 123456", "kind": "otp"},
            name="submit otp",
        )
