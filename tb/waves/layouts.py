"""GTKWave views of the NIC, one per flow (TX, RX, two-host UDP, TCP), made for the trace
being opened.

A layout lists the stages a packet crosses, in order (doorbell, descriptor fetch, translation,
DMA, wire, event), each a group of signals named relative to a NIC instance. ``write_view``
resolves the names against the trace's own signal list, so tops, hosts and bit ranges always
match what was recorded, and writes a ``.gtkw`` beside the trace: buses in hex, counts in
decimal, states and codes by name (translate filters made from ``host/layout.py`` and the RTL's
own state encodings), zoomed to fit, with named markers at the first doorbells and events.
``missing()`` lists what a layout names but a trace lacks: the suite requires it to be empty.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path

from host import layout as L
from tb.errors import SettingError
from tb.waves.trace import TraceInfo

RTL_DIR = Path(__file__).resolve().parents[2] / "rtl" / "nic"

# GTKWave trace flags: TR_HEX/TR_DEC/TR_BIN | TR_RJUSTIFY, TR_FTRANSLATED (a filter file),
# TR_GRP_BEGIN / TR_GRP_END | TR_BLANK (a collapsible group)
FLAG = {"bit": "28", "bin": "28", "hex": "22", "dec": "24", "filter": "2024"}
GROUP_BEGIN, GROUP_END = "800200", "1000200"
MAX_MARKERS = 26  # GTKWave's named markers A..Z


@dataclass(frozen=True)
class Sig:
    """``path`` relative to the NIC (``nic:``, the default), its host (``host:``) or the sim top
    (``top:``); ``fmt`` is bit, bin, hex, dec or the name of a filter in ``filters()``."""

    path: str
    fmt: str = "bit"


@dataclass(frozen=True)
class Stage:
    title: str
    signals: tuple[Sig, ...]


def _sigs(prefix: str, spec: str) -> tuple[Sig, ...]:
    """``"a b:hex c:dec"`` -> Sigs under ``prefix``."""
    out = []
    for item in spec.split():
        name, _, fmt = item.partition(":")
        out.append(Sig(prefix + name, fmt or "bit"))
    return tuple(out)


CLOCK = Stage("Clock and reset", (Sig("top:clk"), Sig("host:cycle", "dec"), Sig("rst")))
DOORBELL = Stage("Doorbells: register writes to a VI page", _sigs("", (
    "s_axil_awvalid s_axil_awaddr:hex s_axil_wdata:hex db_valid db_vi:dec db_kind:db_kind "
    "db_value:dec")))
TX_DESC_FETCH = Stage("TX descriptor fetch (DMA read port 0)", _sigs("tx_inst.fetch_inst.", (
    "req_valid req_vi:dec req_idx:dec req_n:dec m_axi_arvalid m_axi_arready m_axi_araddr:hex "
    "m_axi_arlen:dec m_axi_rvalid fd_valid fd_vi:dec fd_idx:dec fd_fault")))
TX_DISPATCH = Stage("TX dispatch: event slot reserved, segments out", _sigs(
    "tx_inst.desc_inst.", "d_state_reg:tx_dispatch seg_valid seg_ready seg_vi:dec seg_len:dec "
    "seg_last"))
TX_XLAT = Stage("Translation of TX packet reads (buffer-table port 1)", _sigs(
    "tx_inst.rd_inst.", "xlat_req_valid xlat_req_iova:hex xlat_req_owner:hex xlat_resp_valid "
    "xlat_resp_addr:hex xlat_resp_fault"))
TX_READ = Stage("DMA: TX packet reads (DMA read port 1)", _sigs("tx_inst.rd_inst.", (
    "m_axi_arvalid m_axi_arready m_axi_araddr:hex m_axi_arlen:dec")) + _sigs("", (
        "m_axi_rvalid m_axi_rlast m_axi_rid:hex")))
TX_WIRE = Stage("Wire out (TX stream)", _sigs("", (
    "m_axis_tx_tvalid m_axis_tx_tready m_axis_tx_tlast m_axis_tx_tkeep:hex")))
TX_EVENT = Stage("TX completion events", _sigs("tx_inst.out_inst.", (
    "ev_valid ev_ready ev_vi:dec ev_index:dec ev_len:dec ev_err:dec")))
EVQ_WRITE = Stage("DMA: event writes (DMA write port 0) and interrupts", _sigs("evq_inst.", (
    "m_axi_awvalid m_axi_awready m_axi_awaddr:hex m_axi_awlen:dec m_axi_wvalid m_axi_wlast "
    "m_axi_bvalid")) + _sigs("", "irq:hex"))
XLAT_ALL = Stage("Translation, every port (0 TX desc, 1 TX data, 2 events, 3 RX desc, "
                 "4 RX data)", _sigs("", "xl_req_valid:bin xl_resp_valid:bin xl_resp_fault:bin"))
FAULTS = Stage("Faults (one VI at a time)", _sigs("", "flt_valid flt_vi:dec flt_code:err_code"))
RX_WIRE = Stage("Wire in (RX stream)", _sigs("", (
    "s_axis_rx_tvalid s_axis_rx_tready s_axis_rx_tlast s_axis_rx_tkeep:hex")))
RX_STEER = Stage("RX parse and steer: filter table", _sigs("rx_inst.filter_inst.", (
    "s_valid s_proto:dec s_dst_ip:hex s_dst_port:dec m_valid m_hit m_index:dec m_vi:dec")))
RX_DESC_FETCH = Stage("RX descriptor fetch (DMA read port 2)", _sigs("rx_inst.desc_inst.", (
    "m_axi_arvalid m_axi_arready m_axi_araddr:hex m_axi_arlen:dec m_axi_rvalid m_axi_rlast")))
RX_PLAN = Stage("RX placement: descriptors walked, pages translated (port 4)", _sigs(
    "rx_inst.plan_inst.", "s_valid s_vi:dec s_len:dec walk_resp_valid "
    "walk_resp_status:rx_walk xlat_req_valid xlat_resp_addr:hex xlat_resp_fault m_verd_valid "
    "m_verd_deliver"))
RX_WRITE = Stage("DMA: RX packet writes (DMA write port 1)", _sigs("rx_inst.dma_inst.", (
    "m_axi_awvalid m_axi_awready m_axi_awaddr:hex m_axi_awlen:dec m_axi_wvalid m_axi_wlast "
    "m_axi_bvalid")))
RX_EVENT = Stage("RX events", _sigs("rx_inst.dma_inst.", (
    "ev_valid ev_ready ev_vi:dec ev_type:ev_type ev_len:dec ev_index:dec ev_rx_flags:hex")))


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    # (host role, stage): role "A" sends first, "B" answers; on a one-host top both are host0
    stages: tuple[tuple[str, Stage], ...]


def _host(role: str, *stages: Stage) -> tuple[tuple[str, Stage], ...]:
    return tuple((role, s) for s in stages)


LAYOUTS = {
    "tx": Layout("tx", "TX: doorbell to wire and completion event", _host(
        "A", CLOCK, DOORBELL, TX_DESC_FETCH, TX_DISPATCH, TX_XLAT, TX_READ, TX_WIRE, TX_EVENT,
        EVQ_WRITE, XLAT_ALL, FAULTS)),
    "rx": Layout("rx", "RX: wire to process buffer and RX event", _host(
        "B", CLOCK, RX_WIRE, RX_STEER, DOORBELL, RX_DESC_FETCH, RX_PLAN, RX_WRITE, RX_EVENT,
        EVQ_WRITE, XLAT_ALL, FAULTS)),
    "udp": Layout("udp", "Two hosts, UDP: A's TX, the wire, B's RX, and back", (
        _host("A", CLOCK, DOORBELL, TX_DESC_FETCH, TX_READ, TX_WIRE)
        + _host("B", RX_WIRE, RX_STEER, RX_WRITE, RX_EVENT, EVQ_WRITE, DOORBELL, TX_WIRE)
        + _host("A", RX_WIRE, RX_WRITE, RX_EVENT, EVQ_WRITE))),
    "tcp": Layout("tcp", "Two hosts, TCP: segments and ACKs both ways, wakeups", (
        _host("A", CLOCK, DOORBELL, TX_READ, TX_WIRE, RX_WIRE, RX_WRITE, RX_EVENT, EVQ_WRITE)
        + _host("B", DOORBELL, TX_READ, TX_WIRE, RX_WIRE, RX_WRITE, RX_EVENT, EVQ_WRITE,
                FAULTS))),
}

# which layout a trace gets, by the start of its file name (<scenario>-<test>-<time>.<fmt>)
LAYOUT_BY_SCENARIO = {
    "test_tx-": "tx", "demo-udp_burst-": "tx", "test_rx-": "rx", "test_tcp-": "tcp",
    "demo-udp_ping_pong-": "udp", "bench_two_hosts-": "udp", "bench-": "tx",
}
LAYOUT_BY_TOP = {"tb_nic": "tx", "tb_two_hosts": "udp"}
HOSTS = {"tb_nic": {"A": "host0", "B": "host0"}, "tb_two_hosts": {"A": "host_a", "B": "host_b"}}


def choose(trace: TraceInfo, name: str | None = None) -> Layout:
    """The layout asked for, else the one for the trace's scenario, else for its sim top."""
    if name is None:
        stem = trace.path.name
        name = next((v for k, v in LAYOUT_BY_SCENARIO.items() if stem.startswith(k)),
                    LAYOUT_BY_TOP.get(trace.top))
    if name not in LAYOUTS:
        raise SettingError(f"no layout {name!r} for {trace.path.name} (top {trace.top}): "
                           f"give --layout {' or '.join(LAYOUTS)}")
    return LAYOUTS[name]


def _full_path(trace: TraceInfo, role: str, path: str) -> str:
    hosts = HOSTS.get(trace.top)
    if hosts is None:
        raise SettingError(f"{trace.path.name}: top {trace.top} is not a NIC sim top "
                           f"({', '.join(HOSTS)})")
    kind, _, rel = path.rpartition(":")
    base = {"top": trace.top, "host": f"{trace.top}.{hosts[role]}",
            "": f"{trace.top}.{hosts[role]}.u_nic", "nic": f"{trace.top}.{hosts[role]}.u_nic"}
    return f"{base[kind]}.{rel}"


def _by_base(trace: TraceInfo) -> dict[str, str]:
    """Signal names without their bit range -> the trace's full name."""
    return {re.sub(r"(\[\d+:\d+\])$", "", s): s for s in trace.signals}


def resolve(trace: TraceInfo, lay: Layout):
    """(role, stage, [(Sig, full trace name or None)]) for every stage of the layout."""
    names = _by_base(trace)
    return [(role, stage, [(sig, names.get(_full_path(trace, role, sig.path)))
                           for sig in stage.signals]) for role, stage in lay.stages]


def missing(trace: TraceInfo, lay: Layout) -> list[str]:
    return [_full_path(trace, role, sig.path)
            for role, _, sigs in resolve(trace, lay) for sig, full in sigs if full is None]


# ---------------------------------------------------------------- translate filters

def _rtl_states(module: str, pattern: str) -> dict[int, str]:
    """``localparam [..] X_A = 2'd0, X_B = 2'd1`` encodings of a state register in the RTL."""
    text = (RTL_DIR / f"{module}.v").read_text()
    return {int(v): n for n, v in re.findall(rf"\b({pattern})\s*=\s*\d+'d(\d+)", text)}


def filters() -> dict[str, dict[int, str]]:
    """Value names per filter, from their one definition (host/layout.py, or the RTL)."""
    consts = vars(L)

    def named(prefix: str) -> dict[int, str]:
        return {v: k[len(prefix):] for k, v in consts.items()
                if k.startswith(prefix) and isinstance(v, int)}

    return {
        "db_kind": named("DB_KIND_"),
        "ev_type": named("EV_TYPE_"),
        "err_code": {0: "-", **named("ERR_")},
        "tx_dispatch": {v: n[2:] for v, n in _rtl_states("nic_tx_desc", r"D_[A-Z]+").items()},
        "rx_walk": {v: n[3:] for v, n in
                    _rtl_states("nic_rx_desc_fetch", r"ST_[A-Z_]+").items()},
    }


# ---------------------------------------------------------------- the .gtkw file

def view_path(trace: TraceInfo) -> Path:
    return trace.path.with_suffix(trace.path.suffix + ".gtkw")


# GTKWave saves its zoom as z with 2**-z trace units across a fixed span: its own "Zoom Full"
# of an 11,716,000 ps trace in a 1600-pixel window saved z = -21.84, so fitting T units is
# z = -log2(T / FIT_SPAN)
FIT_SPAN = 3.12


def write_view(trace: TraceInfo, lay: Layout, out: Path | None = None) -> tuple[Path, int]:
    """Write the view of ``trace`` with layout ``lay``; returns (path, signals left out)."""
    out = out or view_path(trace)
    filter_dir = out.parent / "filters"
    filter_dir.mkdir(parents=True, exist_ok=True)
    filter_files = {}
    for name, values in filters().items():
        path = filter_dir / f"{name}.txt"
        path.write_text("".join(f"{v} {n}\n" for v, n in sorted(values.items())))
        filter_files[name] = path
    lines = [f"[*] nicsim {lay.name} view: {lay.title}",
             "[*] made by `nicsim waves` for this trace; rerun it after a new run",
             f'[dumpfile] "{trace.path}"', "[timestart] 0", "[size] 1600 1000",
             "[sst_width] 240", "[signals_width] 300", "[sst_expanded] 1",
             "[sst_vpaned_height] 300"]
    marks = markers(trace, lay)
    lines[3] = f"[timestart] {trace.start_time}"
    if trace.end_time or marks:
        span = max((trace.end_time or 0) - trace.start_time, 1)
        zoom = -math.log2(span / FIT_SPAN)
        times = [str(t) for t, _ in marks] + ["-1"] * (MAX_MARKERS - len(marks))
        lines.append(f"*{zoom:.6f} -1 " + " ".join(times))
        lines += [f"[markername] {chr(65 + i)}{label}" for i, (_, label) in enumerate(marks)]
    left_out = 0
    used_filters: dict[str, int] = {}
    two = HOSTS.get(trace.top, {}).get("A") != HOSTS.get(trace.top, {}).get("B")
    for role, stage, sigs in resolve(trace, lay):
        title = f"{role}: {stage.title}" if two and stage is not CLOCK else stage.title
        lines += [f"@{GROUP_BEGIN}", f"-{title}"]
        for sig, full in sigs:
            if full is None:
                left_out += 1
                continue
            kind = sig.fmt if sig.fmt in FLAG else "filter"
            lines.append(f"@{FLAG[kind]}")
            if kind == "filter":  # GTKWave numbers filter files in the order they appear
                index = used_filters.setdefault(sig.fmt, len(used_filters) + 1)
                lines.append(f"^{index} {filter_files[sig.fmt]}")
            lines.append(full)
        lines += [f"@{GROUP_END}", f"-{title}"]
    out.write_text("\n".join(lines) + "\n")
    return out, left_out


MARKED = ("db_valid", "db_kind", "db_vi", "ev_valid", "ev_ready", "ev_vi", "ev_type")


def markers(trace: TraceInfo, lay: Layout) -> list[tuple[int, str]]:
    """Named markers at the first doorbells and events of the hosts a layout shows, found in
    the trace itself: a doorbell where ``db_valid`` rises (with its kind and VI), an event where
    an event port's valid and ready rise together (with its type and VI)."""
    names = _by_base(trace)
    hosts = HOSTS.get(trace.top, {})
    two = hosts.get("A") != hosts.get("B")
    roles = sorted({role for role, _ in lay.stages}) if two else ["A"]
    watch: dict[str, tuple[str, str]] = {}  # full name -> (role, signal)
    for role in roles:
        for sig in MARKED:
            full = names.get(_full_path(trace, role, sig))
            if full is None:
                return []  # not a trace of the whole NIC
            watch[full] = (role, sig)
    ports = _width(names[_full_path(trace, roles[0], "ev_valid")])
    vi_w = _width(names[_full_path(trace, roles[0], "ev_vi")]) // ports
    type_w = _width(names[_full_path(trace, roles[0], "ev_type")]) // ports
    names_of = filters()
    kinds, types = names_of["db_kind"], names_of["ev_type"]
    out: list[tuple[int, str]] = []

    def edges(at: int, role: str, now: dict[str, int], was: dict[str, int]) -> None:
        label = f"{role} " if two else ""
        if now["db_valid"] and not was["db_valid"]:
            out.append((at, f"{label}{kinds.get(now['db_kind'], '?')} doorbell VI{now['db_vi']}"))
        fired = now["ev_valid"] & now["ev_ready"] & ~(was["ev_valid"] & was["ev_ready"])
        for port in range(ports):
            if fired >> port & 1:
                vi = now["ev_vi"] >> (port * vi_w) & ((1 << vi_w) - 1)
                kind = types.get(now["ev_type"] >> (port * type_w) & ((1 << type_w) - 1), "?")
                out.append((at, f"{label}{kind} event VI{vi}"))

    state = {role: dict.fromkeys(MARKED, 0) for role in roles}
    before = {role: dict(v) for role, v in state.items()}
    current = None
    for t, full, value in itertools.chain(trace.changes(watch), [(None, None, None)]):
        if t != current and current is not None:  # a time step is complete: compare
            for role in roles:
                edges(current, role, state[role], before[role])
                before[role] = dict(state[role])
            if len(out) >= MAX_MARKERS or t is None:
                break
        current = t
        role, sig = watch[full]
        state[role][sig] = int(value, 2) if set(value) <= {"0", "1"} else 0
    return sorted(out)[:MAX_MARKERS]


def _width(full_name: str) -> int:
    m = re.search(r"\[(\d+):(\d+)\]$", full_name)
    return int(m.group(1)) - int(m.group(2)) + 1 if m else 1
