// nic_rr_pick: combinational round-robin pick over a request vector.
//
// Generic building block: returns the first set bit of req at or after position last+1
// (wrapping), so the requester served last gets the lowest priority next. Used by the
// schedulers (VI selection from "work pending" bit vectors) and by nic_rr_arb.
//   req    request vector (bit i = requester i)
//   last   index of the requester served last
//   any    some bit of req is set
//   sel    the picked index (undefined when !any)
`timescale 1ns / 1ps
`default_nettype none

module nic_rr_pick #(
    parameter integer N = 4,                        // number of requesters, >= 1
    parameter integer SEL_W = (N > 1) ? $clog2(N) : 1
) (
    input  wire [N-1:0]      req,
    input  wire [SEL_W-1:0]  last,
    output reg               any,
    output reg  [SEL_W-1:0]  sel
);

initial begin
    if (N < 1 || SEL_W < 1 || (N > 1 && (1 << SEL_W) < N)) begin
        $error("nic_rr_pick: N must be >= 1 and SEL_W wide enough");
        $finish;
    end
end

integer i;
reg [SEL_W:0] cand;

// scan N positions starting after `last` (descending, so the nearest hit is assigned last)
always @* begin
    any = 1'b0;
    sel = {SEL_W{1'b0}};
    for (i = N; i >= 1; i = i - 1) begin
        cand = {1'b0, last} + i[SEL_W:0];
        if (cand >= N[SEL_W:0]) begin
            cand = cand - N[SEL_W:0];
        end
        // twice: `last` may be out of range (e.g. all ones after reset)
        if (cand >= N[SEL_W:0]) begin
            cand = cand - N[SEL_W:0];
        end
        if (req[cand[SEL_W-1:0]]) begin
            any = 1'b1;
            sel = cand[SEL_W-1:0];
        end
    end
end

endmodule

`default_nettype wire
