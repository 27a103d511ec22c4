"""``kannel.conf`` for a scenario: one SMPP smsc group per route, routing by price.

Every route becomes ``group = smsc`` (``smsc = smpp``, ``smsc-id`` and
``smsc-username`` = route id, transceiver, SMPP 3.4) pointing at the route's simulated
SMSC on loopback. ``allowed-prefix`` is every prefix of the destinations the route
prices; ``preferred-prefix`` the prefixes of the destinations where it is the cheapest
route (base prices; ties go to the first route). Prefixes are listed with and without
the ``+`` so either form of ``to`` routes. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from sim.scenario import Scenario

INSTALL_HINT = "apt-get update && apt-get install -y kannel"


class KannelError(ValueError):
    """Bad input or an unusable Kannel (missing binaries, failed start); one line."""


@dataclass(frozen=True)
class KannelPorts:
    """Kannel's listening ports (all on 127.0.0.1)."""

    admin: int
    smsbox: int
    sendsms: int


@dataclass(frozen=True)
class KannelCredentials:
    admin_password: str = "rsadmin"
    sendsms_user: str = "routesim"
    sendsms_password: str = "rspass"


def kannel_binaries() -> tuple[str, str]:
    """Paths of ``bearerbox`` and ``smsbox``, or :class:`KannelError` with the install line."""
    found = [shutil.which(name) for name in ("bearerbox", "smsbox")]
    bearerbox, smsbox = found
    if bearerbox is None or smsbox is None:
        missing = "bearerbox" if bearerbox is None else "smsbox"
        raise KannelError(f"{missing} not found on PATH: install Kannel with `{INSTALL_HINT}`")
    return bearerbox, smsbox


def free_port() -> int:
    """A loopback port free right now (the OS's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports() -> KannelPorts:
    ports: set[int] = set()
    while len(ports) < 3:
        ports.add(free_port())
    admin, smsbox, sendsms = sorted(ports)
    return KannelPorts(admin, smsbox, sendsms)


def _prefix_list(prefixes: list[str]) -> str:
    forms: list[str] = []
    for prefix in prefixes:
        bare = prefix.lstrip("+")
        for form in (f"+{bare}", bare):
            if form not in forms:
                forms.append(form)
    return ";".join(forms)


def routing_table(scenario: Scenario) -> dict[str, tuple[list[str], list[str]]]:
    """Route id -> (allowed prefixes, preferred prefixes), ``+``-prefixed E.164."""
    table: dict[str, tuple[list[str], list[str]]] = {r.id: ([], []) for r in scenario.routes}
    for dest in scenario.destinations:
        priced = [(r.prices[dest.id], i, r.id) for i, r in enumerate(scenario.routes)
                  if dest.id in r.prices]  # fmt: skip
        if not priced:
            continue
        for _, _, route_id in priced:
            table[route_id][0].extend(dest.prefixes)
        cheapest = min(priced)[2]
        table[cheapest][1].extend(dest.prefixes)
    return table


def _check(scenario: Scenario, password: str) -> None:
    if not password or len(password) > 8 or not password.isprintable():
        raise KannelError("SMSC password: 1 to 8 printable characters (SMPP 3.4)")
    for route in scenario.routes:
        if len(route.id) > 15 or not route.id.replace("-", "").replace("_", "").isalnum():
            raise KannelError(f"route id {route.id!r}: not usable as an SMPP system_id "
                              "(≤ 15 letters, digits, - or _)")  # fmt: skip


def render_config(
    scenario: Scenario,
    smsc_ports: dict[str, int],
    ports: KannelPorts,
    workdir: Path,
    *,
    password: str = "secret",
    time_scale: float = 1.0,
    credentials: KannelCredentials = KannelCredentials(),
    log_level: int = 1,
) -> str:
    """The text of ``kannel.conf``; ``smsc_ports`` maps route id -> SMSC port."""
    _check(scenario, password)
    missing = [r.id for r in scenario.routes if r.id not in smsc_ports]
    if missing:
        raise KannelError(f"no SMSC port for route {missing[0]!r}")
    c = credentials
    lines = [
        "group = core",
        f"admin-port = {ports.admin}",
        "admin-interface = 127.0.0.1",
        f"admin-password = {c.admin_password}",
        f"status-password = {c.admin_password}",
        "admin-allow-ip = 127.0.0.1",
        f"smsbox-port = {ports.smsbox}",
        "smsbox-interface = 127.0.0.1",
        "box-allow-ip = 127.0.0.1",
        "dlr-storage = internal",
        f"log-file = \"{workdir / 'bearerbox.log'}\"",
        f"log-level = {log_level}",
        f"access-log = \"{workdir / 'access.log'}\"",
        "sms-resend-freq = 1",
        "sms-resend-retry = -1",
        "",
        "group = smsbox",
        "bearerbox-host = 127.0.0.1",
        f"bearerbox-port = {ports.smsbox}",
        f"sendsms-port = {ports.sendsms}",
        "sendsms-interface = 127.0.0.1",
        f"log-file = \"{workdir / 'smsbox.log'}\"",
        f"log-level = {log_level}",
        f"access-log = \"{workdir / 'smsbox-access.log'}\"",
        "",
        "group = sendsms-user",
        f"username = {c.sendsms_user}",
        f"password = {c.sendsms_password}",
        "max-messages = 10",
        "concatenation = true",
        "",
    ]
    table = routing_table(scenario)
    for route in scenario.routes:
        allowed, preferred = table[route.id]
        lines += [
            "group = smsc",
            "smsc = smpp",
            f"smsc-id = {route.id}",
            "host = 127.0.0.1",
            f"port = {smsc_ports[route.id]}",
            "receive-port = 0",
            f"smsc-username = {route.id}",
            f"smsc-password = {password}",
            "system-type = \"\"",
            "transceiver-mode = true",
            "interface-version = 34",
            f"max-pending-submits = {max(1, route.window)}",
            f"throughput = {route.tps * time_scale:g}",
            "msg-id-type = 0x00",
            "enquire-link-interval = 30",
            "reconnect-delay = 1",
        ]
        if allowed:
            lines.append(f"allowed-prefix = \"{_prefix_list(allowed)}\"")
        if preferred:
            lines.append(f"preferred-prefix = \"{_prefix_list(preferred)}\"")
        lines.append("")
    return "\n".join(lines)
