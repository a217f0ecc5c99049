// tb_two_hosts: sim top with two hosts, each a NIC with its own host memory, joined by a wire:
// host A's TX is channel 0 to host B's RX, host B's TX is channel 1 to host A's RX. The wire
// channels apply the seeded impairments Python sets; Python may also inject frames on either.
`timescale 1ns / 1ps
`default_nettype none

module tb_two_hosts #(
    parameter integer DATA_WIDTH = 512,
    parameter integer NUM_VI = 16,
    parameter integer BUFTBL_LOG2 = 12,   // the NIC's buffer-table entries, log2
    parameter integer FILTER_LOG2 = 6
) (
    input  wire                    rst,
    input  wire [15:0]             dma_read_latency,
    input  wire [15:0]             dma_write_latency,
    input  wire                    wire_enable,
    output wire [31:0]             a_dma_write_bursts,
    output wire [31:0]             b_dma_write_bursts,
    output wire [NUM_VI-1:0]       a_irq,
    output wire [NUM_VI-1:0]       b_irq,
    input  wire [AXIL_ADDR_WIDTH-1:0] a_s_axil_awaddr,
    input  wire [3-1:0] a_s_axil_awprot,
    input  wire a_s_axil_awvalid,
    output wire a_s_axil_awready,
    input  wire [32-1:0] a_s_axil_wdata,
    input  wire [4-1:0] a_s_axil_wstrb,
    input  wire a_s_axil_wvalid,
    output wire a_s_axil_wready,
    output wire [2-1:0] a_s_axil_bresp,
    output wire a_s_axil_bvalid,
    input  wire a_s_axil_bready,
    input  wire [AXIL_ADDR_WIDTH-1:0] a_s_axil_araddr,
    input  wire [3-1:0] a_s_axil_arprot,
    input  wire a_s_axil_arvalid,
    output wire a_s_axil_arready,
    output wire [32-1:0] a_s_axil_rdata,
    output wire [2-1:0] a_s_axil_rresp,
    output wire a_s_axil_rvalid,
    input  wire a_s_axil_rready,
    input  wire [AXIL_ADDR_WIDTH-1:0] b_s_axil_awaddr,
    input  wire [3-1:0] b_s_axil_awprot,
    input  wire b_s_axil_awvalid,
    output wire b_s_axil_awready,
    input  wire [32-1:0] b_s_axil_wdata,
    input  wire [4-1:0] b_s_axil_wstrb,
    input  wire b_s_axil_wvalid,
    output wire b_s_axil_wready,
    output wire [2-1:0] b_s_axil_bresp,
    output wire b_s_axil_bvalid,
    input  wire b_s_axil_bready,
    input  wire [AXIL_ADDR_WIDTH-1:0] b_s_axil_araddr,
    input  wire [3-1:0] b_s_axil_arprot,
    input  wire b_s_axil_arvalid,
    output wire b_s_axil_arready,
    output wire [32-1:0] b_s_axil_rdata,
    output wire [2-1:0] b_s_axil_rresp,
    output wire b_s_axil_rvalid,
    input  wire b_s_axil_rready,
    output wire                    unused_out
);

localparam integer AXIL_ADDR_WIDTH = $clog2((NUM_VI + 1) * 4096);

// 250 MHz clock generated here, so no Python runs per cycle
reg clk;
initial clk = 1'b0;
always #2 clk = ~clk;
reg [63:0] cycle;
initial cycle = 64'd0;
always @(posedge clk) cycle <= cycle + 1'b1;

assign unused_out = 1'b0;

wire [DATA_WIDTH-1:0]   a_tx_tdata, a_rx_tdata;
wire [DATA_WIDTH/8-1:0] a_tx_tkeep, a_rx_tkeep;
wire a_tx_tvalid, a_tx_tready, a_tx_tlast, a_tx_tuser;
wire a_rx_tvalid, a_rx_tready, a_rx_tlast, a_rx_tuser;

// these hosts never use external memory (EXT_MEM 0): their ext_axi ports stay unconnected
/* verilator lint_off PINMISSING */
tb_host #(
    .DATA_WIDTH(DATA_WIDTH),
    .NUM_VI(NUM_VI),
    .BUFTBL_LOG2(BUFTBL_LOG2),
    .FILTER_LOG2(FILTER_LOG2),
    .REGION(0),
    .EXT_MEM(0)
) host_a (
    .clk(clk),
    .rst(rst),
    .cycle(cycle),
    .dma_read_latency(dma_read_latency),
    .dma_write_latency(dma_write_latency),
    .dma_write_bursts(a_dma_write_bursts),
    .irq(a_irq),
    .s_axil_awaddr(a_s_axil_awaddr),
    .s_axil_awprot(a_s_axil_awprot),
    .s_axil_awvalid(a_s_axil_awvalid),
    .s_axil_awready(a_s_axil_awready),
    .s_axil_wdata(a_s_axil_wdata),
    .s_axil_wstrb(a_s_axil_wstrb),
    .s_axil_wvalid(a_s_axil_wvalid),
    .s_axil_wready(a_s_axil_wready),
    .s_axil_bresp(a_s_axil_bresp),
    .s_axil_bvalid(a_s_axil_bvalid),
    .s_axil_bready(a_s_axil_bready),
    .s_axil_araddr(a_s_axil_araddr),
    .s_axil_arprot(a_s_axil_arprot),
    .s_axil_arvalid(a_s_axil_arvalid),
    .s_axil_arready(a_s_axil_arready),
    .s_axil_rdata(a_s_axil_rdata),
    .s_axil_rresp(a_s_axil_rresp),
    .s_axil_rvalid(a_s_axil_rvalid),
    .s_axil_rready(a_s_axil_rready),
    .m_axis_tx_tdata(a_tx_tdata),
    .m_axis_tx_tkeep(a_tx_tkeep),
    .m_axis_tx_tvalid(a_tx_tvalid),
    .m_axis_tx_tready(a_tx_tready),
    .m_axis_tx_tlast(a_tx_tlast),
    .m_axis_tx_tuser(a_tx_tuser),
    .s_axis_rx_tdata(a_rx_tdata),
    .s_axis_rx_tkeep(a_rx_tkeep),
    .s_axis_rx_tvalid(a_rx_tvalid),
    .s_axis_rx_tready(a_rx_tready),
    .s_axis_rx_tlast(a_rx_tlast),
    .s_axis_rx_tuser(a_rx_tuser)
);

/* verilator lint_on PINMISSING */
tb_wire_sink #(.DATA_WIDTH(DATA_WIDTH), .CHANNEL(0), .DELIVER(1)) host_a_tx_wire (
    .clk(clk), .rst(rst), .cycle(cycle),
    .s_axis_tdata(a_tx_tdata), .s_axis_tkeep(a_tx_tkeep), .s_axis_tvalid(a_tx_tvalid),
    .s_axis_tready(a_tx_tready), .s_axis_tlast(a_tx_tlast), .s_axis_tuser(a_tx_tuser)
);

tb_wire_source #(.DATA_WIDTH(DATA_WIDTH), .CHANNEL(1)) host_a_rx_wire (
    .clk(clk), .rst(rst), .cycle(cycle), .enable(wire_enable),
    .m_axis_tdata(a_rx_tdata), .m_axis_tkeep(a_rx_tkeep), .m_axis_tvalid(a_rx_tvalid),
    .m_axis_tready(a_rx_tready), .m_axis_tlast(a_rx_tlast), .m_axis_tuser(a_rx_tuser)
);

wire [DATA_WIDTH-1:0]   b_tx_tdata, b_rx_tdata;
wire [DATA_WIDTH/8-1:0] b_tx_tkeep, b_rx_tkeep;
wire b_tx_tvalid, b_tx_tready, b_tx_tlast, b_tx_tuser;
wire b_rx_tvalid, b_rx_tready, b_rx_tlast, b_rx_tuser;

// these hosts never use external memory (EXT_MEM 0): their ext_axi ports stay unconnected
/* verilator lint_off PINMISSING */
tb_host #(
    .DATA_WIDTH(DATA_WIDTH),
    .NUM_VI(NUM_VI),
    .BUFTBL_LOG2(BUFTBL_LOG2),
    .FILTER_LOG2(FILTER_LOG2),
    .REGION(1),
    .EXT_MEM(0)
) host_b (
    .clk(clk),
    .rst(rst),
    .cycle(cycle),
    .dma_read_latency(dma_read_latency),
    .dma_write_latency(dma_write_latency),
    .dma_write_bursts(b_dma_write_bursts),
    .irq(b_irq),
    .s_axil_awaddr(b_s_axil_awaddr),
    .s_axil_awprot(b_s_axil_awprot),
    .s_axil_awvalid(b_s_axil_awvalid),
    .s_axil_awready(b_s_axil_awready),
    .s_axil_wdata(b_s_axil_wdata),
    .s_axil_wstrb(b_s_axil_wstrb),
    .s_axil_wvalid(b_s_axil_wvalid),
    .s_axil_wready(b_s_axil_wready),
    .s_axil_bresp(b_s_axil_bresp),
    .s_axil_bvalid(b_s_axil_bvalid),
    .s_axil_bready(b_s_axil_bready),
    .s_axil_araddr(b_s_axil_araddr),
    .s_axil_arprot(b_s_axil_arprot),
    .s_axil_arvalid(b_s_axil_arvalid),
    .s_axil_arready(b_s_axil_arready),
    .s_axil_rdata(b_s_axil_rdata),
    .s_axil_rresp(b_s_axil_rresp),
    .s_axil_rvalid(b_s_axil_rvalid),
    .s_axil_rready(b_s_axil_rready),
    .m_axis_tx_tdata(b_tx_tdata),
    .m_axis_tx_tkeep(b_tx_tkeep),
    .m_axis_tx_tvalid(b_tx_tvalid),
    .m_axis_tx_tready(b_tx_tready),
    .m_axis_tx_tlast(b_tx_tlast),
    .m_axis_tx_tuser(b_tx_tuser),
    .s_axis_rx_tdata(b_rx_tdata),
    .s_axis_rx_tkeep(b_rx_tkeep),
    .s_axis_rx_tvalid(b_rx_tvalid),
    .s_axis_rx_tready(b_rx_tready),
    .s_axis_rx_tlast(b_rx_tlast),
    .s_axis_rx_tuser(b_rx_tuser)
);

/* verilator lint_on PINMISSING */
tb_wire_sink #(.DATA_WIDTH(DATA_WIDTH), .CHANNEL(1), .DELIVER(1)) host_b_tx_wire (
    .clk(clk), .rst(rst), .cycle(cycle),
    .s_axis_tdata(b_tx_tdata), .s_axis_tkeep(b_tx_tkeep), .s_axis_tvalid(b_tx_tvalid),
    .s_axis_tready(b_tx_tready), .s_axis_tlast(b_tx_tlast), .s_axis_tuser(b_tx_tuser)
);

tb_wire_source #(.DATA_WIDTH(DATA_WIDTH), .CHANNEL(0)) host_b_rx_wire (
    .clk(clk), .rst(rst), .cycle(cycle), .enable(wire_enable),
    .m_axis_tdata(b_rx_tdata), .m_axis_tkeep(b_rx_tkeep), .m_axis_tvalid(b_rx_tvalid),
    .m_axis_tready(b_rx_tready), .m_axis_tlast(b_rx_tlast), .m_axis_tuser(b_rx_tuser)
);

endmodule

`default_nettype wire
