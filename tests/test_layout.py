"""The layout source of truth and its generated Verilog side."""

import pytest

from host import layout as L


def test_generated_verilog_header_is_up_to_date():
    assert L.VERILOG_HEADER.read_text() == L.verilog_header(), "run `make gen`"


def test_registers_do_not_overlap_and_fit_page_zero():
    offsets = [r.offset for r in L.PRIV_REGS]
    assert len(offsets) == len(set(offsets))
    assert all(o % 4 == 0 and o < L.STATS_BASE for o in offsets)
    assert L.STATS_BASE + 4 * len(L.STATS) <= L.PAGE_SIZE
    assert max(r.offset for r in L.VI_REGS) < L.PAGE_SIZE


def test_descriptor_round_trip_and_range_checks():
    raw = L.TX_DESC.pack(ADDR=0x1234_5678_9ABC, LEN=1514, EOP=1, CSUM_L4=1)
    assert len(raw) == 16
    fields = L.TX_DESC.unpack(raw)
    assert fields == {"ADDR": 0x1234_5678_9ABC, "LEN": 1514, "EOP": 1, "CSUM_IP": 0,
                      "CSUM_L4": 1}
    with pytest.raises(ValueError, match="does not fit"):
        L.TX_DESC.pack(LEN=1 << 16)


def test_event_phase_is_the_last_byte_written():
    raw = L.EVENT.pack(TYPE=L.EV_TYPE_TX, PHASE=1)
    assert raw[15] & 0x80 and not any(raw[8:15])


def test_overlapping_fields_are_refused():
    with pytest.raises(ValueError, match="overlaps"):
        L.Record("X", [L.Field("A", 0, 8), L.Field("B", 4, 8)])
