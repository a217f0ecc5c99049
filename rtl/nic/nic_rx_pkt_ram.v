// nic_rx_pkt_ram: simple dual-port RAM holding received frames (store-and-forward RX buffer).
//
// One write port (the parser writes each accepted beat) and one read port with a registered
// output (read data appears the cycle after rd_en), so it maps onto block RAM. The parser owns
// the write pointer and the DMA engine the read side; space accounting is done by them.
`timescale 1ns / 1ps
`default_nettype none

module nic_rx_pkt_ram #(
    parameter integer WIDTH = 512,
    parameter integer ADDR_W = 9
) (
    input  wire              clk,

    input  wire              wr_en,
    input  wire [ADDR_W-1:0] wr_addr,
    input  wire [WIDTH-1:0]  wr_data,

    input  wire              rd_en,
    input  wire [ADDR_W-1:0] rd_addr,
    output wire [WIDTH-1:0]  rd_data
);

localparam integer DEPTH = 1 << ADDR_W;

initial begin
    if (ADDR_W < 2 || ADDR_W > 20) begin
        $error("nic_rx_pkt_ram: ADDR_W must be 2..20");
        $finish;
    end
end

reg [WIDTH-1:0] mem [0:DEPTH-1];
reg [WIDTH-1:0] rd_data_reg;

assign rd_data = rd_data_reg;

always @(posedge clk) begin
    if (wr_en) begin
        mem[wr_addr] <= wr_data;
    end
    if (rd_en) begin
        rd_data_reg <= mem[rd_addr];
    end
end

endmodule

`default_nettype wire
