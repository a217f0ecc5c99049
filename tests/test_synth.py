"""The RTL synthesizes clean (tb/synthcheck.py, Yosys from PyPI): no latch, no conflicting
drivers, no undriven net, no combinational loop in the NIC at either data width; and the check
does catch each of those when one is put in."""

from __future__ import annotations

import pytest

from tb.synthcheck import check_nic, problems


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
