// tb_wire_source: sim-only AXI-Stream source that sends the frames of a DPI wire channel: frames
// injected by Python first, then frames from the channel's far end once their wire delay is up.
// Polls the channel only while enabled, so Python can create the shared region first.
`timescale 1ns / 1ps
`default_nettype none

module tb_wire_source #(
    parameter integer DATA_WIDTH = 512,
    parameter integer CHANNEL = 0
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire [63:0]             cycle,
    input  wire                    enable,
    output reg  [DATA_WIDTH-1:0]   m_axis_tdata,
    output reg  [DATA_WIDTH/8-1:0] m_axis_tkeep,
    output reg                     m_axis_tvalid,
    input  wire                    m_axis_tready,
    output reg                     m_axis_tlast,
    output reg                     m_axis_tuser
);

import "DPI-C" function int nicsim_wire_source(input int ch, input longint cycle, input int nbytes,
    output bit [511:0] data, output bit [63:0] keep, output bit last, output bit user);

import "DPI-C" function void nicsim_wire_reset(input int ch);

// the DPI model fills 512 data and 64 keep bits; a narrower stream takes the low ones
reg [511:0] dbuf;
reg [63:0] kbuf;
reg lbuf, ubuf;
wire unused_pad = &{1'b0, dbuf, kbuf};

always @(posedge clk) begin
    if (rst) begin
        m_axis_tvalid <= 1'b0;
        nicsim_wire_reset(CHANNEL);
    end else if (!m_axis_tvalid || m_axis_tready) begin
        if (enable && nicsim_wire_source(CHANNEL, cycle, DATA_WIDTH / 8, dbuf, kbuf, lbuf, ubuf) != 0) begin
            m_axis_tdata <= dbuf[DATA_WIDTH-1:0];
            m_axis_tkeep <= kbuf[DATA_WIDTH/8-1:0];
            m_axis_tlast <= lbuf;
            m_axis_tuser <= ubuf;
            m_axis_tvalid <= 1'b1;
        end else begin
            m_axis_tvalid <= 1'b0;
        end
    end
end

endmodule

`default_nettype wire
