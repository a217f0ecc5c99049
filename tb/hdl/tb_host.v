// tb_host: sim-only model of one host's hardware: the NIC with its host physical memory behind
// the DMA port. The memory is the DPI-C model (no Python per beat) unless EXT_MEM is set, in
// which case the DMA port is brought out as ext_axi_* for cocotbext-axi's AxiRam.
`timescale 1ns / 1ps
`default_nettype none

module tb_host #(
    parameter integer DATA_WIDTH = 512,
    parameter integer NUM_VI = 16,
    parameter integer BUFTBL_LOG2 = 12,
    parameter integer FILTER_LOG2 = 6,
    parameter integer REGION = 0,
    parameter integer EXT_MEM = 0,
    parameter integer MAX_READS = 64
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire [63:0]             cycle,
    input  wire [15:0]             dma_read_latency,
    input  wire [15:0]             dma_write_latency,
    output wire [31:0]             dma_write_bursts,
    output wire [NUM_VI-1:0]       irq,

    input  wire [AXIL_ADDR_WIDTH-1:0] s_axil_awaddr,
    input  wire [2:0]              s_axil_awprot,
    input  wire                    s_axil_awvalid,
    output wire                    s_axil_awready,
    input  wire [31:0]             s_axil_wdata,
    input  wire [3:0]              s_axil_wstrb,
    input  wire                    s_axil_wvalid,
    output wire                    s_axil_wready,
    output wire [1:0]              s_axil_bresp,
    output wire                    s_axil_bvalid,
    input  wire                    s_axil_bready,
    input  wire [AXIL_ADDR_WIDTH-1:0] s_axil_araddr,
    input  wire [2:0]              s_axil_arprot,
    input  wire                    s_axil_arvalid,
    output wire                    s_axil_arready,
    output wire [31:0]             s_axil_rdata,
    output wire [1:0]              s_axil_rresp,
    output wire                    s_axil_rvalid,
    input  wire                    s_axil_rready,

    output wire [DATA_WIDTH-1:0]   m_axis_tx_tdata,
    output wire [DATA_WIDTH/8-1:0] m_axis_tx_tkeep,
    output wire                    m_axis_tx_tvalid,
    input  wire                    m_axis_tx_tready,
    output wire                    m_axis_tx_tlast,
    output wire                    m_axis_tx_tuser,
    input  wire [DATA_WIDTH-1:0]   s_axis_rx_tdata,
    input  wire [DATA_WIDTH/8-1:0] s_axis_rx_tkeep,
    input  wire                    s_axis_rx_tvalid,
    output wire                    s_axis_rx_tready,
    input  wire                    s_axis_rx_tlast,
    input  wire                    s_axis_rx_tuser,

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
    output wire ext_axi_rready
);

localparam integer ID_WIDTH = 8;
localparam integer ADDR_WIDTH = 48;
localparam integer AXIL_ADDR_WIDTH = $clog2((NUM_VI + 1) * 4096);
localparam [0:0] USE_EXT = EXT_MEM != 0;  // external (cocotb) memory instead of the DPI model

wire [ID_WIDTH-1:0] axi_awid;
wire [ADDR_WIDTH-1:0] axi_awaddr;
wire [8-1:0] axi_awlen;
wire [3-1:0] axi_awsize;
wire [2-1:0] axi_awburst;
wire axi_awvalid;
wire axi_awready;
wire mem_axi_awready;
wire [DATA_WIDTH-1:0] axi_wdata;
wire [DATA_WIDTH/8-1:0] axi_wstrb;
wire axi_wlast;
wire axi_wvalid;
wire axi_wready;
wire mem_axi_wready;
wire [ID_WIDTH-1:0] axi_bid;
wire [ID_WIDTH-1:0] mem_axi_bid;
wire [2-1:0] axi_bresp;
wire [2-1:0] mem_axi_bresp;
wire axi_bvalid;
wire mem_axi_bvalid;
wire axi_bready;
wire [ID_WIDTH-1:0] axi_arid;
wire [ADDR_WIDTH-1:0] axi_araddr;
wire [8-1:0] axi_arlen;
wire [3-1:0] axi_arsize;
wire [2-1:0] axi_arburst;
wire axi_arvalid;
wire axi_arready;
wire mem_axi_arready;
wire [ID_WIDTH-1:0] axi_rid;
wire [ID_WIDTH-1:0] mem_axi_rid;
wire [DATA_WIDTH-1:0] axi_rdata;
wire [DATA_WIDTH-1:0] mem_axi_rdata;
wire [2-1:0] axi_rresp;
wire [2-1:0] mem_axi_rresp;
wire axi_rlast;
wire mem_axi_rlast;
wire axi_rvalid;
wire mem_axi_rvalid;
wire axi_rready;
assign ext_axi_awid = axi_awid;
assign ext_axi_awaddr = axi_awaddr;
assign ext_axi_awlen = axi_awlen;
assign ext_axi_awsize = axi_awsize;
assign ext_axi_awburst = axi_awburst;
assign ext_axi_awvalid = axi_awvalid;
assign axi_awready = USE_EXT ? ext_axi_awready : mem_axi_awready;
assign ext_axi_wdata = axi_wdata;
assign ext_axi_wstrb = axi_wstrb;
assign ext_axi_wlast = axi_wlast;
assign ext_axi_wvalid = axi_wvalid;
assign axi_wready = USE_EXT ? ext_axi_wready : mem_axi_wready;
assign axi_bid = USE_EXT ? ext_axi_bid : mem_axi_bid;
assign axi_bresp = USE_EXT ? ext_axi_bresp : mem_axi_bresp;
assign axi_bvalid = USE_EXT ? ext_axi_bvalid : mem_axi_bvalid;
assign ext_axi_bready = axi_bready;
assign ext_axi_arid = axi_arid;
assign ext_axi_araddr = axi_araddr;
assign ext_axi_arlen = axi_arlen;
assign ext_axi_arsize = axi_arsize;
assign ext_axi_arburst = axi_arburst;
assign ext_axi_arvalid = axi_arvalid;
assign axi_arready = USE_EXT ? ext_axi_arready : mem_axi_arready;
assign axi_rid = USE_EXT ? ext_axi_rid : mem_axi_rid;
assign axi_rdata = USE_EXT ? ext_axi_rdata : mem_axi_rdata;
assign axi_rresp = USE_EXT ? ext_axi_rresp : mem_axi_rresp;
assign axi_rlast = USE_EXT ? ext_axi_rlast : mem_axi_rlast;
assign axi_rvalid = USE_EXT ? ext_axi_rvalid : mem_axi_rvalid;
assign ext_axi_rready = axi_rready;
// AXI attributes the NIC drives as constants (lock, cache, protection): no memory model uses them
wire       axi_awlock, axi_arlock;
wire [3:0] axi_awcache, axi_arcache;
wire [2:0] axi_awprot, axi_arprot;
wire unused_axi_attr = &{1'b0, axi_awlock, axi_arlock, axi_awcache, axi_arcache, axi_awprot,
                         axi_arprot};

nic #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(ADDR_WIDTH),
    .NUM_VI(NUM_VI),
    .BUFTBL_LOG2(BUFTBL_LOG2),
    .FILTER_LOG2(FILTER_LOG2)
) u_nic (
    .clk(clk),
    .rst(rst),
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
    .m_axi_awid(axi_awid),
    .m_axi_awaddr(axi_awaddr),
    .m_axi_awlen(axi_awlen),
    .m_axi_awsize(axi_awsize),
    .m_axi_awburst(axi_awburst),
    .m_axi_awlock(axi_awlock),
    .m_axi_awcache(axi_awcache),
    .m_axi_awprot(axi_awprot),
    .m_axi_awvalid(axi_awvalid),
    .m_axi_awready(axi_awready),
    .m_axi_wdata(axi_wdata),
    .m_axi_wstrb(axi_wstrb),
    .m_axi_wlast(axi_wlast),
    .m_axi_wvalid(axi_wvalid),
    .m_axi_wready(axi_wready),
    .m_axi_bid(axi_bid),
    .m_axi_bresp(axi_bresp),
    .m_axi_bvalid(axi_bvalid),
    .m_axi_bready(axi_bready),
    .m_axi_arid(axi_arid),
    .m_axi_araddr(axi_araddr),
    .m_axi_arlen(axi_arlen),
    .m_axi_arsize(axi_arsize),
    .m_axi_arburst(axi_arburst),
    .m_axi_arlock(axi_arlock),
    .m_axi_arcache(axi_arcache),
    .m_axi_arprot(axi_arprot),
    .m_axi_arvalid(axi_arvalid),
    .m_axi_arready(axi_arready),
    .m_axi_rid(axi_rid),
    .m_axi_rdata(axi_rdata),
    .m_axi_rresp(axi_rresp),
    .m_axi_rlast(axi_rlast),
    .m_axi_rvalid(axi_rvalid),
    .m_axi_rready(axi_rready),
    .m_axis_tx_tdata(m_axis_tx_tdata),
    .m_axis_tx_tkeep(m_axis_tx_tkeep),
    .m_axis_tx_tvalid(m_axis_tx_tvalid),
    .m_axis_tx_tready(m_axis_tx_tready),
    .m_axis_tx_tlast(m_axis_tx_tlast),
    .m_axis_tx_tuser(m_axis_tx_tuser),
    .s_axis_rx_tdata(s_axis_rx_tdata),
    .s_axis_rx_tkeep(s_axis_rx_tkeep),
    .s_axis_rx_tvalid(s_axis_rx_tvalid),
    .s_axis_rx_tready(s_axis_rx_tready),
    .s_axis_rx_tlast(s_axis_rx_tlast),
    .s_axis_rx_tuser(s_axis_rx_tuser),
    .irq(irq)
);

generate
if (!USE_EXT) begin : g_dpi_mem
    tb_axi_dpi_mem #(
        .DATA_WIDTH(DATA_WIDTH),
        .ADDR_WIDTH(ADDR_WIDTH),
        .ID_WIDTH(ID_WIDTH),
        .MAX_READS(MAX_READS),
        .REGION(REGION)
    ) u_mem (
        .clk(clk),
        .rst(rst),
        .cycle(cycle),
        .read_latency(dma_read_latency),
        .write_latency(dma_write_latency),
        .write_bursts(dma_write_bursts),
    .s_axi_awid(axi_awid),
    .s_axi_awaddr(axi_awaddr),
    .s_axi_awlen(axi_awlen),
    .s_axi_awsize(axi_awsize),
    .s_axi_awburst(axi_awburst),
    .s_axi_awvalid(axi_awvalid),
    .s_axi_awready(mem_axi_awready),
    .s_axi_wdata(axi_wdata),
    .s_axi_wstrb(axi_wstrb),
    .s_axi_wlast(axi_wlast),
    .s_axi_wvalid(axi_wvalid),
    .s_axi_wready(mem_axi_wready),
    .s_axi_bid(mem_axi_bid),
    .s_axi_bresp(mem_axi_bresp),
    .s_axi_bvalid(mem_axi_bvalid),
    .s_axi_bready(axi_bready),
    .s_axi_arid(axi_arid),
    .s_axi_araddr(axi_araddr),
    .s_axi_arlen(axi_arlen),
    .s_axi_arsize(axi_arsize),
    .s_axi_arburst(axi_arburst),
    .s_axi_arvalid(axi_arvalid),
    .s_axi_arready(mem_axi_arready),
    .s_axi_rid(mem_axi_rid),
    .s_axi_rdata(mem_axi_rdata),
    .s_axi_rresp(mem_axi_rresp),
    .s_axi_rlast(mem_axi_rlast),
    .s_axi_rvalid(mem_axi_rvalid),
    .s_axi_rready(axi_rready)
    );
end else begin : g_ext_mem
    // the memory is outside (cocotb's AxiRam on ext_axi): no DPI model, no latency settings
    assign dma_write_bursts = 32'd0;
    assign mem_axi_awready = 1'b0;
    assign mem_axi_wready = 1'b0;
    assign mem_axi_bid = {ID_WIDTH{1'b0}};
    assign mem_axi_bresp = 2'b00;
    assign mem_axi_bvalid = 1'b0;
    assign mem_axi_arready = 1'b0;
    assign mem_axi_rid = {ID_WIDTH{1'b0}};
    assign mem_axi_rdata = {DATA_WIDTH{1'b0}};
    assign mem_axi_rresp = 2'b00;
    assign mem_axi_rlast = 1'b0;
    assign mem_axi_rvalid = 1'b0;
    wire unused_dpi_inputs = &{1'b0, cycle, dma_read_latency, dma_write_latency};
end
endgenerate

endmodule

`default_nettype wire
