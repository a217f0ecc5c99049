// tb_nic: sim top with one host (NIC + host memory). The NIC's TX goes to wire channel 0 (captured
// for Python), its RX comes from channel 1 (frames Python injects). Clock generated in HDL, except
// with EXT_MEM (cocotbext-axi's AxiRam as host memory), where cocotb drives it into clk_in.
`timescale 1ns / 1ps
`default_nettype none

module tb_nic #(
    parameter integer DATA_WIDTH = 512,
    parameter integer NUM_VI = 16,
    parameter integer BUFTBL_LOG2 = 12,   // the NIC's buffer-table entries, log2
    parameter integer FILTER_LOG2 = 6,
    parameter integer EXT_MEM = 0
) (
    input  wire                    clk_in,   // EXT_MEM only: the clock, from cocotb's Clock
    input  wire                    rst,
    input  wire [15:0]             dma_read_latency,
    input  wire [15:0]             dma_write_latency,
    input  wire                    wire_enable,
    output wire [31:0]             dma_write_bursts,
    output wire [NUM_VI-1:0]       irq,
    input  wire [AXIL_ADDR_WIDTH-1:0] s_axil_awaddr,
    input  wire [3-1:0] s_axil_awprot,
    input  wire s_axil_awvalid,
    output wire s_axil_awready,
    input  wire [32-1:0] s_axil_wdata,
    input  wire [4-1:0] s_axil_wstrb,
    input  wire s_axil_wvalid,
    output wire s_axil_wready,
    output wire [2-1:0] s_axil_bresp,
    output wire s_axil_bvalid,
    input  wire s_axil_bready,
    input  wire [AXIL_ADDR_WIDTH-1:0] s_axil_araddr,
    input  wire [3-1:0] s_axil_arprot,
    input  wire s_axil_arvalid,
    output wire s_axil_arready,
    output wire [32-1:0] s_axil_rdata,
    output wire [2-1:0] s_axil_rresp,
    output wire s_axil_rvalid,
    input  wire s_axil_rready,
    output wire [ID_WIDTH-1:0] ext_axi_awid,
    output wire [ADDR_WIDTH-1:0] ext_axi_awaddr,
    output wire [8-1:0] ext_axi_awlen,
    output wire [3-1:0] ext_axi_awsize,
    output wire [2-1:0] ext_axi_awburst,
    output wire ext_axi_awvalid,
    input  wire ext_axi_awready,
    output wire [DATA_WIDTH-1:0] ext_axi_wdata,
    output wire [DATA_WIDTH/8-1:0] ext_axi_wstrb,
    output wire ext_axi_wlast,
    output wire ext_axi_wvalid,
    input  wire ext_axi_wready,
    input  wire [ID_WIDTH-1:0] ext_axi_bid,
    input  wire [2-1:0] ext_axi_bresp,
    input  wire ext_axi_bvalid,
    output wire ext_axi_bready,
    output wire [ID_WIDTH-1:0] ext_axi_arid,
    output wire [ADDR_WIDTH-1:0] ext_axi_araddr,
    output wire [8-1:0] ext_axi_arlen,
    output wire [3-1:0] ext_axi_arsize,
    output wire [2-1:0] ext_axi_arburst,
    output wire ext_axi_arvalid,
    input  wire ext_axi_arready,
    input  wire [ID_WIDTH-1:0] ext_axi_rid,
    input  wire [DATA_WIDTH-1:0] ext_axi_rdata,
    input  wire [2-1:0] ext_axi_rresp,
    input  wire ext_axi_rlast,
    input  wire ext_axi_rvalid,
    output wire ext_axi_rready,
    output wire                    unused_out
);

localparam integer AXIL_ADDR_WIDTH = $clog2((NUM_VI + 1) * 4096);
localparam integer ID_WIDTH = 8;
localparam integer ADDR_WIDTH = 48;

// 250 MHz clock. Generated here in the default flows, so no Python runs per cycle. With EXT_MEM
// the DMA port is served by cocotbext-axi models, which sample ready/valid at RisingEdge(clk)
// and then drive: that needs the values *at* the edge, which cocotb only sees for a clock it
// drives itself. With a clock generated in HDL, Verilator has already run the edge's
// always @(posedge) blocks when cocotb's callback comes: the models judge every handshake by
// the next cycle's ready/valid, miss AR requests and mistake which R beats the NIC took, and
// the DMA hangs (tests/test_tb_clocking.py, tb/env.py).
wire clk;
generate
if (EXT_MEM != 0) begin : g_cocotb_clk
    assign clk = clk_in;
end else begin : g_hdl_clk
    reg clk_gen;
    initial clk_gen = 1'b0;
    always #2 clk_gen = ~clk_gen;
    assign clk = clk_gen;
    wire unused_clk_in = clk_in;
end
endgenerate
reg [63:0] cycle;
initial cycle = 64'd0;
always @(posedge clk) cycle <= cycle + 1'b1;

assign unused_out = 1'b0;

wire [DATA_WIDTH-1:0]   tx_tdata, rx_tdata;
wire [DATA_WIDTH/8-1:0] tx_tkeep, rx_tkeep;
wire tx_tvalid, tx_tready, tx_tlast, tx_tuser;
wire rx_tvalid, rx_tready, rx_tlast, rx_tuser;

tb_host #(
    .DATA_WIDTH(DATA_WIDTH),
    .NUM_VI(NUM_VI),
    .BUFTBL_LOG2(BUFTBL_LOG2),
    .FILTER_LOG2(FILTER_LOG2),
    .REGION(0),
    .EXT_MEM(EXT_MEM)
) host0 (
    .clk(clk),
    .rst(rst),
    .cycle(cycle),
    .dma_read_latency(dma_read_latency),
    .dma_write_latency(dma_write_latency),
    .dma_write_bursts(dma_write_bursts),
    .irq(irq),
    .s_axil_awaddr(s_axil_awaddr),
    .s_axil_awprot(s_axil_awprot),
    .s_axil_awvalid(s_axil_awvalid),
    .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata),
    .s_axil_wstrb(s_axil_wstrb),
    .s_axil_wvalid(s_axil_wvalid),
    .s_axil_wready(s_axil_wready),
    .s_axil_bresp(s_axil_bresp),
    .s_axil_bvalid(s_axil_bvalid),
    .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr),
    .s_axil_arprot(s_axil_arprot),
    .s_axil_arvalid(s_axil_arvalid),
    .s_axil_arready(s_axil_arready),
    .s_axil_rdata(s_axil_rdata),
    .s_axil_rresp(s_axil_rresp),
    .s_axil_rvalid(s_axil_rvalid),
    .s_axil_rready(s_axil_rready),
    .m_axis_tx_tdata(tx_tdata),
    .m_axis_tx_tkeep(tx_tkeep),
    .m_axis_tx_tvalid(tx_tvalid),
    .m_axis_tx_tready(tx_tready),
    .m_axis_tx_tlast(tx_tlast),
    .m_axis_tx_tuser(tx_tuser),
    .s_axis_rx_tdata(rx_tdata),
    .s_axis_rx_tkeep(rx_tkeep),
    .s_axis_rx_tvalid(rx_tvalid),
    .s_axis_rx_tready(rx_tready),
    .s_axis_rx_tlast(rx_tlast),
    .s_axis_rx_tuser(rx_tuser),
    .ext_axi_awid(ext_axi_awid),
    .ext_axi_awaddr(ext_axi_awaddr),
    .ext_axi_awlen(ext_axi_awlen),
    .ext_axi_awsize(ext_axi_awsize),
    .ext_axi_awburst(ext_axi_awburst),
    .ext_axi_awvalid(ext_axi_awvalid),
    .ext_axi_awready(ext_axi_awready),
    .ext_axi_wdata(ext_axi_wdata),
    .ext_axi_wstrb(ext_axi_wstrb),
    .ext_axi_wlast(ext_axi_wlast),
    .ext_axi_wvalid(ext_axi_wvalid),
    .ext_axi_wready(ext_axi_wready),
    .ext_axi_bid(ext_axi_bid),
    .ext_axi_bresp(ext_axi_bresp),
    .ext_axi_bvalid(ext_axi_bvalid),
    .ext_axi_bready(ext_axi_bready),
    .ext_axi_arid(ext_axi_arid),
    .ext_axi_araddr(ext_axi_araddr),
    .ext_axi_arlen(ext_axi_arlen),
    .ext_axi_arsize(ext_axi_arsize),
    .ext_axi_arburst(ext_axi_arburst),
    .ext_axi_arvalid(ext_axi_arvalid),
    .ext_axi_arready(ext_axi_arready),
    .ext_axi_rid(ext_axi_rid),
    .ext_axi_rdata(ext_axi_rdata),
    .ext_axi_rresp(ext_axi_rresp),
    .ext_axi_rlast(ext_axi_rlast),
    .ext_axi_rvalid(ext_axi_rvalid),
    .ext_axi_rready(ext_axi_rready)
);

tb_wire_sink #(.DATA_WIDTH(DATA_WIDTH), .CHANNEL(0), .DELIVER(0)) host0_tx_wire (
    .clk(clk), .rst(rst), .cycle(cycle),
    .s_axis_tdata(tx_tdata), .s_axis_tkeep(tx_tkeep), .s_axis_tvalid(tx_tvalid),
    .s_axis_tready(tx_tready), .s_axis_tlast(tx_tlast), .s_axis_tuser(tx_tuser)
);

tb_wire_source #(.DATA_WIDTH(DATA_WIDTH), .CHANNEL(1)) host0_rx_wire (
    .clk(clk), .rst(rst), .cycle(cycle), .enable(wire_enable),
    .m_axis_tdata(rx_tdata), .m_axis_tkeep(rx_tkeep), .m_axis_tvalid(rx_tvalid),
    .m_axis_tready(rx_tready), .m_axis_tlast(rx_tlast), .m_axis_tuser(rx_tuser)
);

endmodule

`default_nettype wire
