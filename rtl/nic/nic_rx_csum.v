// nic_rx_csum: per-beat partial of an Internet (one's complement) checksum over a byte range.
//
// Combinational. Given one beat of frame data (byte 0 of the beat in tdata[7:0], i.e. first on
// the wire), the frame byte offset of that beat's lane 0, and a byte range [range_start,
// range_end) of the frame, it returns the plain (not folded) sum of the 16-bit big-endian words
// of the beat restricted to the range. range_start must be even, so the words line up with even
// frame offsets; a byte outside the range counts as zero (an odd range end pads with zero as the
// checksum rules require). The caller accumulates beats and folds carries at the end of the frame.
`timescale 1ns / 1ps
`default_nettype none

module nic_rx_csum #(
    parameter integer DATA_WIDTH = 512,
    parameter integer SUM_W = 24
) (
    input  wire [DATA_WIDTH-1:0] data,
    input  wire [15:0]           beat_off,
    input  wire [15:0]           range_start,
    input  wire [15:0]           range_end,
    output wire [SUM_W-1:0]      sum
);

localparam integer BYTES = DATA_WIDTH / 8;
localparam integer WORDS = BYTES / 2;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0) begin
        $error("nic_rx_csum: DATA_WIDTH must be a power of two in 64..512");
        $finish;
    end
    if (SUM_W < 16 + $clog2(WORDS) + 1) begin
        $error("nic_rx_csum: SUM_W too small for DATA_WIDTH");
        $finish;
    end
end

reg [SUM_W-1:0] sum_acc;
reg [16:0] off_hi;
reg [16:0] off_lo;
reg [7:0] hi;
reg [7:0] lo;
integer w;

always @* begin
    sum_acc = {SUM_W{1'b0}};
    for (w = 0; w < WORDS; w = w + 1) begin
        off_hi = {1'b0, beat_off} + w[15:0] * 17'd2;
        off_lo = off_hi + 1'b1;
        hi = (off_hi >= {1'b0, range_start} && off_hi < {1'b0, range_end})
            ? data[16*w +: 8] : 8'd0;
        lo = (off_lo >= {1'b0, range_start} && off_lo < {1'b0, range_end})
            ? data[16*w+8 +: 8] : 8'd0;
        sum_acc = sum_acc + {{(SUM_W-16){1'b0}}, hi, lo};
    end
end

assign sum = sum_acc;

endmodule

`default_nettype wire
