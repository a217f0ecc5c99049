// nic_stats: the NIC's statistics counters (layout.py STATS), 32-bit, wrapping.
//
// SRC independent sources (TX, RX, event queues, ...) each present a vector of one-cycle
// increment pulses, bit i for counter i (STAT_* in nic_defs.vh), and one byte amount: the byte
// counters (TX_BYTES, RX_BYTES) advance by the source's stat_bytes when their bit is set, every
// other counter by one. Several sources may bump the same counter in the same cycle. The
// register block reads counter rd_index; rd_data is registered (valid one cycle later).
`timescale 1ns / 1ps
`default_nettype none

module nic_stats #(
    parameter integer SRC = 3    // number of increment sources
) (
    input  wire                 clk,
    input  wire                 rst,

    input  wire [SRC*32-1:0]    stat_inc,    // source s: bits [s*32 +: STAT_COUNT]
    input  wire [SRC*16-1:0]    stat_bytes,  // source s: byte amount at [s*16 +: 16]

    input  wire [4:0]           rd_index,
    output reg  [31:0]          rd_data
);

/* verilator lint_off UNUSEDPARAM */  // generated header: only some constants are used here
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam integer N = STAT_COUNT;

initial begin
    if (SRC < 1 || N > 32) begin
        $error("nic_stats: need SRC >= 1 and at most 32 counters");
        $finish;
    end
end

reg [31:0] cnt_reg [0:N-1];
reg [31:0] cnt_next [0:N-1];

integer i, s, k;  // i, s: the combinational block's; k: the clocked block's (one driver each)

always @* begin
    for (i = 0; i < N; i = i + 1) begin
        cnt_next[i] = cnt_reg[i];
        for (s = 0; s < SRC; s = s + 1) begin
            if (stat_inc[s*32 + i]) begin
                if (i == STAT_TX_BYTES || i == STAT_RX_BYTES) begin
                    cnt_next[i] = cnt_next[i] + {16'd0, stat_bytes[s*16 +: 16]};
                end else begin
                    cnt_next[i] = cnt_next[i] + 32'd1;
                end
            end
        end
    end
end

always @(posedge clk) begin
    for (k = 0; k < N; k = k + 1) begin
        if (rst) begin
            cnt_reg[k] <= 32'd0;
        end else begin
            cnt_reg[k] <= cnt_next[k];
        end
    end
    rd_data <= ({27'd0, rd_index} < N) ? cnt_reg[rd_index] : 32'd0;
end

// bits of stat_inc above STAT_COUNT are spare
wire unused_inc = &{1'b0, stat_inc};

endmodule

`default_nettype wire
