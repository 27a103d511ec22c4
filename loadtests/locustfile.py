"""routesim load test: realistic SMS traffic at the routing service.

    locust -f loadtests/locustfile.py --config loadtests/locust.conf --host http://127.0.0.1:8080

(or ``routesim load SCENARIO ...``, which starts the service and writes one report).
Add ``loadtests/shape.py`` to ``-f`` to shape users by the scenario's daily profile.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: F401  (registers the event hooks)
from users import AitBot, MarketingCampaign, NotificationUser, OtpAppUser

__all__ = ["AitBot", "MarketingCampaign", "NotificationUser", "OtpAppUser"]
