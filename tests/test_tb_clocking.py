"""The clocking rule behind tb/env.py: cocotbext-axi models need the clock driven by cocotb.

tb/clock_probe/test_clock_probe.py on a small probe (tb/hdl/tb_clock_probe.v) built twice: with
the clock generated in HDL, cocotb sees registers after the edge at RisingEdge and cocotbext-axi's
stream models lose transfers; with cocotb's Clock they see the values at the edge and lose none.
"""

import pytest

from tb.runner import TB_HDL_DIR, ModelSpec, build

pytestmark = pytest.mark.sim


@pytest.mark.xdist_group("tb_clock_probe")
@pytest.mark.parametrize("hdl_clk", [1, 0], ids=["hdl_clock", "cocotb_clock"])
def test_clock_probe(hdl_clk):
    model = build(ModelSpec(top="tb_clock_probe", sources=(TB_HDL_DIR / "tb_clock_probe.v",),
                            parameters=(("HDL_CLK", hdl_clk),), timing=True))
    model.run("tb.clock_probe.test_clock_probe",
              extra_env={"NICSIM_PROBE_HDL_CLK": str(hdl_clk)},
              results_name=f"clock_probe-{hdl_clk}")
