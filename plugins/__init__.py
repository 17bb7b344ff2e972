"""The NoneBot plugins, one per capability; `names()` lists them for loading by module
name, which works from a source checkout and from an installed wheel alike."""

from __future__ import annotations

import pkgutil


def names() -> list[str]:
    """Every plugin package here; modules and packages starting with "_" are shared
    code, not plugins."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg and not m.name.startswith("_"))
