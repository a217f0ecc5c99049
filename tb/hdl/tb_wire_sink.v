// tb_wire_sink: sim-only end of an AXI-Stream link that hands every beat to a DPI wire channel
// (capture for Python and, when DELIVER is set, delivery to the channel's far end). Never
// back-pressures: a real MAC takes what the NIC sends.
`timescale 1ns / 1ps
`default_nettype none

module tb_wire_sink #(
    parameter integer DATA_WIDTH = 512,
    parameter integer CHANNEL = 0,
    parameter integer DELIVER = 1
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire [63:0]             cycle,
    input  wire [DATA_WIDTH-1:0]   s_axis_tdata,
    input  wire [DATA_WIDTH/8-1:0] s_axis_tkeep,
    input  wire                    s_axis_tvalid,
    output wire                    s_axis_tready,
    input  wire                    s_axis_tlast,
    input  wire                    s_axis_tuser
);

import "DPI-C" function void nicsim_wire_sink(input int ch, input longint cycle, input int nbytes,
    input bit [511:0] data, input bit [63:0] keep, input int last, input int user,
    input int deliver);

import "DPI-C" function void nicsim_wire_reset(input int ch);

assign s_axis_tready = !rst;
// the beat, padded to the DPI call's 512-bit data and 64-bit keep arguments
reg [511:0] dbuf;
reg [63:0] kbuf;
always @* begin
    dbuf = 512'd0;
    kbuf = 64'd0;
    dbuf[DATA_WIDTH-1:0] = s_axis_tdata;
    kbuf[DATA_WIDTH/8-1:0] = s_axis_tkeep;
end

always @(posedge clk) begin
    if (rst) begin
        nicsim_wire_reset(CHANNEL);
    end else if (s_axis_tvalid) begin
        nicsim_wire_sink(CHANNEL, cycle, DATA_WIDTH / 8, dbuf, kbuf, {31'd0, s_axis_tlast},
                         {31'd0, s_axis_tuser}, DELIVER);
    end
end

endmodule

`default_nettype wire
