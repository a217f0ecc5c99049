"""The RTL synthesizes clean (tb/synthcheck.py, Yosys from PyPI): no latch, no conflicting
drivers, no undriven net, no combinational loop in the NIC at either data width; and the check
does catch each of those when one is put in."""

from __future__ import annotations

import subprocess

import pytest

from tb.synth import nextpnr
from tb.synthcheck import YOSYS, check_nic, problems


@pytest.mark.parametrize("data_width", [64, 512])
def test_the_nic_elaborates_without_latches_or_conflicting_drivers(data_width):
    assert check_nic(data_width) == []


BROKEN = {
    "latch": ("always @* begin\n    if (a) y_r = b;\nend\nassign y = y_r;", "Latch inferred"),
    "two_drivers": ("assign y = a;\nassign y = b;", "conflicting drivers"),
    "undriven": ("wire z;\nassign y = a & z;", "no driver"),
    "loop": ("wire p, q;\nassign p = a ^ q;\nassign q = p;\nassign y = q;", "logic loop"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_the_check_catches_a_broken_module(tmp_path, kind):
    body, report = BROKEN[kind]
    src = tmp_path / f"{kind}.v"
    src.write_text("`default_nettype none\n"
                   f"module {kind} (input wire a, input wire b, output wire y);\n"
                   f"reg y_r;\n{body}\nendmodule\n")
    found = problems([src], kind, include=tmp_path)
    assert any(report in line for line in found), found


SHALLOW = "reg [7:0] q;\nalways @(posedge clk) q <= q + x[7:0];\nassign y = {24'd0, q};"
DEEP = ("reg [31:0] a, b, c, d, q;\n"
        "always @(posedge clk) begin\n"
        "    a <= x; b <= a; c <= b; d <= c;\n"
        "    q <= ((((((a + b) ^ c) + d) ^ {a[15:0], a[31:16]}) + b) ^ c) + (d ^ q);\n"
        "end\nassign y = q;")


def place_and_route_small(tmp_path, name: str, body: str) -> tuple[float, dict]:
    """synth_ecp5 and nextpnr-ecp5 (make synth's flow, tb/synth.py) on a small module."""
    (tmp_path / f"{name}.v").write_text(
        "`default_nettype none\n"
        f"module {name} (input wire clk, input wire [31:0] x, output wire [31:0] y);\n"
        f"{body}\nendmodule\n")
    subprocess.run([str(YOSYS), "-q", "-p", f"read_verilog {name}.v; "
                    f"synth_ecp5 -top {name} -json {name}.json"], cwd=tmp_path, check=True,
                   timeout=300)
    fmax, used, _ = nextpnr(tmp_path, f"{name}.json", f"{name}-report.json", timeout_s=600)
    return fmax, used


def test_place_and_route_gives_an_fmax_that_falls_with_logic_depth(tmp_path):
    """make synth's Fmax comes from nextpnr's timing after routing: a chain of six 32-bit
    additions between registers is slower than an 8-bit counter, and both use flip-flops."""
    shallow, used_shallow = place_and_route_small(tmp_path, "shallow", SHALLOW)
    deep, used_deep = place_and_route_small(tmp_path, "deep", DEEP)
    assert 0 < deep < shallow, (deep, shallow)
    assert used_shallow["TRELLIS_FF"][0] >= 8 and used_deep["TRELLIS_FF"][0] >= 5 * 32
