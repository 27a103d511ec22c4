"""The bundled scenario catalogue: scenario names resolve to files in ``scenarios/``."""

from __future__ import annotations

from pathlib import Path

from sim.scenario import ScenarioError

SCENARIO_DIRS = (Path("scenarios"), Path(__file__).resolve().parent.parent / "scenarios")


def bundled_scenarios() -> dict[str, Path]:
    """Scenario name -> file, from ./scenarios and the project's scenarios/."""
    found: dict[str, Path] = {}
    for directory in SCENARIO_DIRS:
        if directory.is_dir():
            for file in sorted(directory.glob("*.yaml")):
                found.setdefault(file.stem, file)
    return found


def resolve_scenario_path(name: str) -> Path:
    """A path as given, or a bundled scenario by name (``baseline``)."""
    path = Path(name)
    if path.exists() or path.suffix in {".yaml", ".yml"}:
        return path
    bundled = bundled_scenarios()
    if name in bundled:
        return bundled[name]
    known = ", ".join(bundled) or "none found"
    raise ScenarioError(f"{name}: no such file or bundled scenario (bundled: {known})")
