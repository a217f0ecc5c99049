// nic_rx_xlat_mux: shares one buffer-table translate port between two RX requesters.
//
// Requester 0 is the descriptor fetcher, requester 1 the DMA planner. Requests are granted
// round-robin (the grant is held while the port stalls, so the payload stays stable); the
// requester of every accepted request is queued (in order, like the port's responses) and each
// response is routed back to it. Up to 2^TAG_LOG2 requests may be in flight.
`timescale 1ns / 1ps
`default_nettype none

module nic_rx_xlat_mux #(
    parameter integer ADDR_WIDTH = 48,
    parameter integer TAG_LOG2 = 3
) (
    input  wire                     clk,
    input  wire                     rst,

    input  wire [1:0]               s_req_valid,
    output wire [1:0]               s_req_ready,
    input  wire [2*64-1:0]          s_req_iova,
    input  wire [2*16-1:0]          s_req_owner,
    input  wire [2*16-1:0]          s_req_len,
    output wire [1:0]               s_resp_valid,
    input  wire [1:0]               s_resp_ready,

    output wire                     xlat_req_valid,
    input  wire                     xlat_req_ready,
    output wire [63:0]              xlat_req_iova,
    output wire [15:0]              xlat_req_owner,
    output wire [15:0]              xlat_req_len,
    input  wire                     xlat_resp_valid,
    output wire                     xlat_resp_ready
);

initial begin
    if (TAG_LOG2 < 1 || TAG_LOG2 > 6 || ADDR_WIDTH < 1) begin
        $error("nic_rx_xlat_mux: TAG_LOG2 must be 1..6");
        $finish;
    end
end

reg        last_reg;     // requester granted last
reg        hold_reg;     // a grant is held (request offered, not yet accepted)
reg        hold_sel_reg;

wire tag_s_ready;
wire tag_m_data;
wire tag_m_valid;

// round robin: prefer the requester that was not granted last
wire pick = hold_reg ? hold_sel_reg :
            (s_req_valid[0] && s_req_valid[1]) ? !last_reg : s_req_valid[1];
wire any = s_req_valid[pick];

assign xlat_req_valid = any && tag_s_ready;
assign xlat_req_iova = s_req_iova[pick*64 +: 64];
assign xlat_req_owner = s_req_owner[pick*16 +: 16];
assign xlat_req_len = s_req_len[pick*16 +: 16];
wire fire = xlat_req_valid && xlat_req_ready;
assign s_req_ready = fire ? (pick ? 2'b10 : 2'b01) : 2'b00;

/* verilator lint_off PINCONNECTEMPTY */
nic_fifo #(.WIDTH(1), .DEPTH_LOG2(TAG_LOG2)) tag_fifo (
    .clk(clk), .rst(rst),
    .s_data(pick), .s_valid(fire), .s_ready(tag_s_ready),
    .m_data(tag_m_data), .m_valid(tag_m_valid), .m_ready(xlat_resp_valid && xlat_resp_ready),
    .count()
);
/* verilator lint_on PINCONNECTEMPTY */

assign s_resp_valid = (xlat_resp_valid && tag_m_valid) ? (tag_m_data ? 2'b10 : 2'b01) : 2'b00;
assign xlat_resp_ready = tag_m_valid && s_resp_ready[tag_m_data];

always @(posedge clk) begin
    if (rst) begin
        last_reg <= 1'b1;
        hold_reg <= 1'b0;
        hold_sel_reg <= 1'b0;
    end else begin
        if (fire) begin
            last_reg <= pick;
        end
        hold_reg <= xlat_req_valid && !xlat_req_ready;
        hold_sel_reg <= pick;
    end
end

endmodule

`default_nettype wire
