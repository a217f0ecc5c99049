"""The demo.

``udp_burst`` (tb_nic): one process sends a burst of UDP datagrams from its own registered
buffers through the simulated NIC; the wire is decoded by scapy and written to a pcap file.

``udp_ping_pong`` (tb_two_hosts): a process on each of two hosts, each with its own NIC, memory
and a filter steering its port to its VI; UDP round trips between them, with half round-trip
times in simulated nanoseconds.

``tcp_hierarchy`` (tb_two_hosts): the transport hierarchy; one process's accelerated and
fallback TCP flows side by side (provider, simulated throughput, kernel copies per byte).

``udp_paths_onload`` then ``udp_paths_split`` (tb_two_hosts): a UDP ping-pong between processes
on the two hosts on each of the three paths (tb/scenarios/paths.py): user-level and kernel with
the hosts in onload mode, then the tunnel with them in split mode; the second prints all three
side by side, in simulated time and in copies.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb

from tb.env import CLOCK_NS, NicBench, now_ns
from tb.scenarios.apps import TxApp, app_on, parse_udp, ping_pong, udp_payload
from tb.scenarios.hierarchy import TwoFlows
from tb.scenarios.paths import OsPingPong, UserPingPong, payload_of
from tb.userstack import sim_seconds

# the sim top each test runs on (tb/scenario_info.py)
SIM_TOPS = {"udp_burst": "tb_nic", "udp_ping_pong": "tb_two_hosts",
            "tcp_hierarchy": "tb_two_hosts", "udp_paths_onload": "tb_two_hosts",
            "udp_paths_split": "tb_two_hosts"}
PATH_PAYLOADS = (0, 1024)


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def udp_burst(dut):
    out = Path(os.environ.get("NICSIM_DEMO_DIR", "build/demo"))
    out.mkdir(parents=True, exist_ok=True)
    total = int(os.environ.get("NICSIM_DEMO_FRAMES", "2000"))
    os.environ["PCAP"] = str(out / "wire.pcap")
    # the raw NIC at full speed: no OS stack, whose RX descriptor fetches on VI 0 would share
    # the DMA port with the burst
    bench = await NicBench.start(dut, os_stack=False)
    app = TxApp(bench.host, "demo-sender", port=9, txq=512, buffers=256)
    sizes = [64 + (i * 97) % 1400 for i in range(total)]
    wall0, sim0 = time.time(), now_ns()
    frames, sent = [], 0
    while len(frames) < total:
        while sent < total and app.pool.available and app.vi.tx_space:
            app.send(sent.to_bytes(4, "big") + bytes(sizes[sent] - 4))
            sent += 1
        app.vi.tx_push()
        await bench.cycles(64)
        app.poll()
        frames.extend(bench.tx_wire.captured())
        if now_ns() - sim0 > 100_000_000:
            raise AssertionError("demo: frames stopped arriving")
    sim_ns, wall = now_ns() - sim0, time.time() - wall0
    payload = 0
    for i, f in enumerate(frames):
        pkt = parse_udp(f.data)
        data = udp_payload(pkt)
        assert int.from_bytes(data[:4], "big") == i and len(data) == sizes[i], f"frame {i}"
        payload += len(data)
    bench.close_pcap()
    wire_bytes = sum(len(f.data) for f in frames)
    stats = await bench.host.kernel.read_stats()
    cycles = sim_ns / CLOCK_NS
    report = "\n".join([
        "demo: one process, UDP from its registered buffers, through the simulated NIC",
        f"  frames on the wire     {len(frames)} (NIC TX_FRAMES counter: {stats['TX_FRAMES']})",
        f"  bytes on the wire      {wire_bytes} ({payload} bytes of UDP payload)",
        f"  simulated time         {sim_ns / 1000:.1f} us = {cycles:.0f} cycles at 250 MHz"
        f" -> {wire_bytes * 8 / sim_ns:.1f} Gbps of frame bytes",
        f"  wall time              {wall:.2f} s ({cycles / wall:,.0f} simulated cycles/s)",
        "  every frame decoded by scapy with valid IPv4/UDP checksums",
        f"  wire capture           {out / 'wire.pcap'}",
    ])
    (out / "report.txt").write_text(report + "\n")
    dut._log.info("\n%s", report)


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def udp_ping_pong(dut):
    out = Path(os.environ.get("NICSIM_DEMO_DIR", "build/demo"))
    out.mkdir(parents=True, exist_ok=True)
    rounds = int(os.environ.get("NICSIM_DEMO_ROUNDS", "20"))
    os.environ["PCAP"] = str(out / "ping_pong.pcap")
    bench = await NicBench.start(dut)
    ping = app_on(bench, "A", "ping", 7000)
    pong = app_on(bench, "B", "pong", 7000)
    await bench.settle()
    latency = int(os.environ.get("NICSIM_DMA_LATENCY", "0"))
    lines = [f"demo: UDP ping-pong between processes on two simulated hosts "
             f"({latency} cycles of DMA latency, 250 MHz)",
             f"  {'payload':>8} {'round trips':>11} {'half RTT min':>13} {'median':>9} "
             f"{'max':>9}   (ns of simulated time)"]
    wall0, sim0 = time.time(), now_ns()
    for size in (0, 64, 256, 512, 1024, 1472):
        halves = []
        for i in range(rounds):
            _, rtt = await ping_pong(bench, ping, pong, bytes((i + k) & 0xFF for k in range(size)))
            halves.append(rtt / 2)
        halves.sort()
        lines.append(f"  {size:>8} {rounds:>11} {halves[0]:>13.0f} "
                     f"{halves[len(halves) // 2]:>9.0f} {halves[-1]:>9.0f}")
    lines += [
        "  each payload checked byte for byte both ways, checksums verified by the NIC and scapy",
        f"  simulated {(now_ns() - sim0) / 1000:.1f} us in {time.time() - wall0:.2f} s wall",
        f"  wire capture           {out / 'ping_pong.pcap'}",
    ]
    bench.close_pcap()
    report = "\n".join(lines)
    (out / "ping_pong.txt").write_text(report + "\n")
    dut._log.info("\n%s", report)


@cocotb.test(timeout_time=300_000, timeout_unit="us")
async def tcp_hierarchy(dut):
    """One process on host A asks its socket library for two TCP sockets to B: the first is
    served by the user-level stack on its own VI; A's filter table is then filled, and the
    second falls back to the OS. Each moves 1 MiB; the report sets them side by side."""
    out = Path(os.environ.get("NICSIM_DEMO_DIR", "build/demo"))
    out.mkdir(parents=True, exist_ok=True)
    bench = await NicBench.start(dut)
    wall0 = time.time()
    two = await TwoFlows.run(bench, 1 << 20)
    pages = two.pages()
    for path, flow in two.flows.items():
        if not flow.exact:
            raise AssertionError(f"the {path} flow did not arrive exact")
        if flow.strays(pages[path]):
            raise AssertionError(f"the {path} flow's frames were read from other pages")
    report = "\n".join([
        "demo: the transport hierarchy -- one process, two TCP flows to host B "
        "(1 MiB each, checked by sha256 at B)",
        two.side_by_side(),
        f"  the fallback socket started on the user-level stack; its connect found "
        f"A's {bench.hosts[0].kernel.info.filter_entries}-slot filter table full",
        "  accelerated frames were read by the NIC from the process's pages, "
        "fallback frames from the kernel's",
        f"  simulated {sim_seconds() * 1e6:.1f} us in {time.time() - wall0:.2f} s wall",
    ])
    (out / "hierarchy.txt").write_text(report + "\n")
    dut._log.info("\n%s", report)


def demo_dir() -> Path:
    out = Path(os.environ.get("NICSIM_DEMO_DIR", "build/demo"))
    out.mkdir(parents=True, exist_ok=True)
    return out


async def measure_os_path(bench: NicBench, path: str, into: dict) -> None:
    """``into[path][size]``: the OS-socket ping-pong's half round trip and copies."""
    os_path = await OsPingPong.start(bench)
    for size in PATH_PAYLOADS:
        r = await os_path.half_rtt(payload_of(size))
        into.setdefault(path, {})[str(size)] = {
            "ns": r.ns, "syscalls": r.syscalls, "copied": r.bytes_copied + r.tunnel_copied}
    await os_path.stop()


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def udp_paths_onload(dut):
    """The user-level and kernel paths, with the hosts in onload mode; kept for
    ``udp_paths_split``."""
    bench = await NicBench.start(dut, mode="onload")
    paths: dict = {}
    user = UserPingPong(bench)
    await bench.settle()
    paths["user"] = {str(size): {"ns": await user.half_rtt(payload_of(size)), "syscalls": 0,
                                 "copied": 0} for size in PATH_PAYLOADS}
    await measure_os_path(bench, "kernel", paths)
    (demo_dir() / "paths-onload.json").write_text(json.dumps(paths))


@cocotb.test(timeout_time=200_000, timeout_unit="us")
async def udp_paths_split(dut):
    """The tunnel path, with the hosts in split mode, then the three paths side by side."""
    out = demo_dir()
    paths = json.loads((out / "paths-onload.json").read_text())
    bench = await NicBench.start(dut, mode="split")
    await measure_os_path(bench, "tunnel", paths)
    names = ("user", "kernel", "tunnel")
    rows = [f"  {'':34}" + "".join(f"{n:>12}" for n in names)]
    for size in PATH_PAYLOADS:
        k = str(size)
        rows.append(f"  {f'half round trip, {size} B payload':34}" +
                    "".join(f"{paths[n][k]['ns']:>9.0f} ns" for n in names))
    big = str(PATH_PAYLOADS[-1])
    rows.append(f"  {'system calls per round trip':34}" +
                "".join(f"{paths[n][big]['syscalls']:>12.0f}" for n in names))
    rows.append(f"  {f'bytes copied per round trip, {big} B':34}" +
                "".join(f"{paths[n][big]['copied']:>12,.0f}" for n in names))
    drivers = [h.split_driver for h in bench.hosts]
    report = "\n".join([
        "demo: three paths for a UDP ping-pong between processes on hosts A and B "
        "(simulated time, DMA latency "
        f"{os.environ.get('NICSIM_DMA_LATENCY', '0')} cycles)",
        *rows,
        "  user: each process on its own VI, zero copy (US 8,489,761, the user-level stack's "
        "path)",
        "  kernel: OS sockets, the OS stack on VI 0 (onload mode's fallback)",
        "  tunnel: OS sockets, the OS stack's frames through each host's user-space driver "
        "(WO 2004/001615, split mode)",
        f"  tunnel copies: the kernel copies each received frame out of its slot; the "
        f"drivers were woken {sum(d.wakeups for d in drivers)} times",
    ])
    (out / "paths.txt").write_text(report + "\n")
    dut._log.info("\n%s", report)
