"""The import graph keeps the design: no circle in futures/, arrows only the way ARCHITECTURE.md's
package table allows, and no project import hidden inside a function without a reason.

The graph is read from the source (tests/architecture/imports.py); each test also checks that
it can fail, on a graph with the fault put in.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.architecture.imports import Import, app_of, cycles, project_imports

# ARCHITECTURE.md's package table: what each app may import besides itself. spark_site's shared
# base (errors, money, exchange_env, startup, ...) is below every app; its top (the API
# instance, the routers' and sockets' list, auth) is checked on its own below.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "audit": frozenset({"spark_site"}),
    "accounts": frozenset({"audit", "spark_site"}),
    # The Telegram desk lives in notifications/desk.py: it may read what the desk row allows.
    "notifications": frozenset({"audit", "accounts", "spark_site"}),
    "futures": frozenset({"risk", "audit", "accounts", "notifications", "spark_site"}),
    "risk": frozenset({"audit", "accounts", "notifications", "spark_site"}),
    "canary": frozenset({"futures", "risk", "audit", "accounts", "spark_site"}),
    "portfolio": frozenset({"futures", "audit", "accounts", "spark_site"}),
    "copilot": frozenset({"futures", "risk", "canary", "audit", "accounts", "spark_site"}),
    "strategies": frozenset({"futures", "canary", "risk", "audit", "accounts", "spark_site"}),
    # The trade history: the read side of futures, risk and portfolio's FX rates.
    "history": frozenset({"futures", "risk", "portfolio", "audit", "accounts", "spark_site"}),
    "simexchange": frozenset(),  # a separate program, spoken to only over HTTP/WS
}
# A module allowed more than its app: the desk row of the table (copilot sentences, positions).
MODULE_MAY_IMPORT: dict[str, frozenset[str]] = {
    "notifications.desk": frozenset({"copilot", "futures", "risk", "canary"}),
}
# spark_site's top: the one NinjaAPI instance mounts every app's router, the ASGI router every
# app's sockets; auth and error handlers use accounts and audit.
SPARK_SITE_TOP = {
    "spark_site.api": ("accounts", "audit", ".api", ".streams_api"),
    "spark_site.routing": (".routing",),
    "spark_site.urls": (".urls", ".views"),
    "spark_site.access": ("accounts",),
    "spark_site.locale": ("accounts",),
    "spark_site.middleware": ("audit",),
}
# Entries into the desk row from the notifications app that hosts it (not a dependency of the
# notify row): the notifier process runs the desk's loop, Telegram's webhook route hands it an
# update.
PROCESS_ENTRIES = {
    ("notifications.worker", "notifications.desk"),
    ("notifications.api", "notifications.desk"),
}
# Commands copilot must never import: it returns actions, the caller's permissions run them.
COMMAND_MODULES = (
    "futures.services",
    "futures.order_modify",
    "futures.position_actions",
    "futures.sync",
    "canary.services",
    "risk.services",
    "risk.limits",
)


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    return project_imports()


def futures_cycles(imports: list[Import]) -> list[list[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for i in imports:
        if app_of(i.module) == "futures" and app_of(i.target) == "futures":
            edges[i.module].add(i.target)
    return cycles(edges)


def wrong_arrows(imports: list[Import]) -> list[str]:
    wrong = []
    for i in imports:
        source, target = app_of(i.module), app_of(i.target)
        if source == target:
            continue
        if source == "spark_site":
            allowed = SPARK_SITE_TOP.get(i.module, ())
            if not any(
                i.target.startswith(a) if not a.startswith(".") else i.target.endswith(a)
                for a in allowed
            ):
                wrong.append(f"{i.module}:{i.line} -> {i.target}")
            continue
        if target in MAY_IMPORT.get(source, frozenset()):
            continue
        if target in MODULE_MAY_IMPORT.get(i.module, frozenset()):
            continue
        wrong.append(f"{i.module}:{i.line} -> {i.target}")
    return sorted(wrong)


def hidden_imports(imports: list[Import]) -> list[str]:
    """Project imports inside a function whose line carries no comment saying why."""
    return sorted(
        {
            f"{i.module}:{i.line}: {i.text.strip()}"
            for i in imports
            if i.in_function and "#" not in i.text
        }
    )


def private_borrowings(imports: list[Import]) -> list[str]:
    """`from module import _name` across modules: a private helper used as if it were public."""
    return sorted(
        f"{i.module}:{i.line}: {name} from {i.target}"
        for i in imports
        for name in i.names
        if name.startswith("_") and not name.startswith("__")
    )


# ------------------------------------------------------------------------------- the graph


def test_the_graph_sees_the_order_path(graph):
    """The walker must see real edges, or every test below would pass on an empty graph."""
    edges = {(i.module, i.target) for i in graph}
    assert ("futures.services", "futures.sync") in edges
    assert ("futures.sync", "futures.binance.reports") in edges
    assert ("futures.services", "risk.gate") in edges


def test_no_import_circle_in_futures(graph):
    assert futures_cycles(graph) == []


def test_a_circle_in_futures_would_be_found(graph):
    back = Import("futures.sync", "futures.services", 1, False, "from futures import services")
    found = futures_cycles([*graph, back])
    assert any({"futures.services", "futures.sync"} <= set(c) for c in found)


def test_no_import_circle_between_apps(graph):
    """Between apps as the table names them: the Telegram desk (notifications/desk.py) is its own
    row, spark_site's top is left out (it mounts every app by design)."""

    def row(module: str) -> str:
        return "desk" if module == "notifications.desk" else app_of(module)

    edges: dict[str, set[str]] = defaultdict(set)
    for i in graph:
        if (i.module, i.target) in PROCESS_ENTRIES:
            continue
        if row(i.module) != row(i.target) and i.module not in SPARK_SITE_TOP:
            edges[row(i.module)].add(row(i.target))
    assert cycles(edges) == []


def test_every_arrow_is_one_the_package_table_allows(graph):
    assert wrong_arrows(graph) == []


def test_every_app_is_in_the_table(graph):
    apps = {app_of(i.module) for i in graph} | {app_of(i.target) for i in graph}
    assert apps - {"spark_site"} <= set(MAY_IMPORT)


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("risk.gate", "futures.models"),  # risk never imports futures
        ("simexchange.rest", "futures.binance.rest"),  # the stand-in imports nothing of ours
        ("audit.services", "accounts.models"),
        ("spark_site.errors", "futures.models"),  # the shared base is below every app
        ("notifications.receivers", "futures.selectors"),  # only the desk may
        ("copilot.services", "strategies.models"),
    ],
)
def test_a_wrong_arrow_would_be_found(graph, module, target):
    added = Import(module, target, 100_000, False, "")
    assert set(wrong_arrows([*graph, added])) - set(wrong_arrows(graph)) == {
        f"{module}:100000 -> {target}"
    }


def test_copilot_never_imports_a_command(graph):
    commands = [
        f"{i.module}:{i.line} -> {i.target}"
        for i in graph
        if app_of(i.module) == "copilot" and i.target in COMMAND_MODULES
    ]
    assert commands == []


def test_risk_never_imports_futures_even_inside_a_function(graph):
    assert [i for i in graph if app_of(i.module) == "risk" and app_of(i.target) == "futures"] == []


# ------------------------------------------------------------------- imports in functions


def test_no_project_import_inside_a_function_without_a_reason(graph):
    assert hidden_imports(graph) == []


def test_a_hidden_import_would_be_found():
    hidden = Import(
        "futures.events", "futures.services", 7, True, "    from futures import services"
    )
    said = Import("futures.apps", "futures.broadcast", 9, True, "    import x  # app registry")
    assert hidden_imports([hidden, said]) == ["futures.events:7: from futures import services"]


def test_portfolio_uses_only_the_futures_connector_and_the_live_channel(graph):
    """The table: portfolio imports futures.binance (signing, HTTP); it also publishes on the
    platform's one live channel (futures.broadcast) and counts exchange errors in the one
    counter (futures.metrics). Nothing of orders or positions."""
    used = {
        i.target for i in graph if app_of(i.module) == "portfolio" and app_of(i.target) == "futures"
    }
    assert used, "the walker sees portfolio's connector imports"
    assert {t for t in used if not t.startswith("futures.binance.")} <= {
        "futures.broadcast",
        "futures.metrics",
    }


# ------------------------------------------------------------------- private names


def test_no_module_borrows_another_modules_private_helper(graph):
    assert private_borrowings(graph) == []


def test_a_borrowed_private_helper_would_be_found():
    borrowed = Import(
        "futures.preview", "futures.services", 3, False, "from x import _r", ("_r", "ok")
    )
    dunder = Import("spark_site.api", "spark_site", 2, False, "", ("__version__",))
    assert private_borrowings([borrowed, dunder]) == ["futures.preview:3: _r from futures.services"]
