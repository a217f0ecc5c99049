"""The transport hierarchy: a per-process socket library (``library``) that gives each socket
to the first provider (``providers``) of an ordered, configurable hierarchy that does not
decline it, by the rules in ``rules``. See docs/transport-hierarchy.md."""

from .library import Choice, LibSocket, ProviderStats, SocketLibrary
from .providers import OsProvider, Steering, UserCalls, UserLevelProvider, UserLevelStack
from .rules import OS, USER, Declined, Hierarchy

__all__ = ["Choice", "Declined", "Hierarchy", "LibSocket", "OS", "OsProvider", "ProviderStats",
           "SocketLibrary", "Steering", "USER", "UserCalls", "UserLevelProvider",
           "UserLevelStack"]
