"""The formal proof of DMA isolation (tb/prove.py, tb/formal/): it holds, and it is not vacuous:
a fence that reports done without waiting for the translations it fences fails it."""

from tb.prove import RTL_FENCE, prove


def test_the_isolation_proof_holds():
    result = prove()
    assert result.passed, "\n".join(result.summary)
    assert any("successful proof by k-induction" in line for line in result.summary)


def test_a_fence_that_does_not_wait_fails_the_proof():
    good = RTL_FENCE.read_text()
    broken = good.replace("assign busy = pend_reg || !old_idle;", "assign busy = pend_reg;")
    assert broken != good, "the fence's busy line moved: update this test"
    result = prove("nic_isolation_broken_fence", replace={RTL_FENCE.name: broken})
    assert not result.passed
    assert any("failed assertion" in line for line in result.summary), result.summary
