// nic_axi_wr_arb: shares the AXI4 write channels of one master port among PORTS engines.
//
// AW requests are arbitrated round-robin into a register slice; the engine number is prefixed
// to the ID (upper bits of the M_ID_W-bit ID). When an AW is accepted by the memory, its engine
// number is queued; W beats are taken from the engine at the head of that queue until wlast, so
// write data always follows its address and bursts never interleave. B responses are routed back
// by the upper ID bits. An engine must not make its AW wait for W acceptance (W is accepted only
// after the AW). Engine p's fields are at [p*W +: W] of the flattened buses.
`timescale 1ns / 1ps
`default_nettype none

module nic_axi_wr_arb #(
    parameter integer PORTS = 2,
    parameter integer DATA_WIDTH = 512,
    parameter integer ADDR_WIDTH = 48,
    parameter integer S_ID_W = 4,
    parameter integer M_ID_W = 8,
    parameter integer ORDER_LOG2 = 4      // AWs accepted whose data is not yet through
) (
    input  wire                            clk,
    input  wire                            rst,

    // engine side
    input  wire [PORTS*S_ID_W-1:0]         s_axi_awid,
    input  wire [PORTS*ADDR_WIDTH-1:0]     s_axi_awaddr,
    input  wire [PORTS*8-1:0]              s_axi_awlen,
    input  wire [PORTS*3-1:0]              s_axi_awsize,
    input  wire [PORTS*2-1:0]              s_axi_awburst,
    input  wire [PORTS-1:0]                s_axi_awvalid,
    output wire [PORTS-1:0]                s_axi_awready,
    input  wire [PORTS*DATA_WIDTH-1:0]     s_axi_wdata,
    input  wire [PORTS*DATA_WIDTH/8-1:0]   s_axi_wstrb,
    input  wire [PORTS-1:0]                s_axi_wlast,
    input  wire [PORTS-1:0]                s_axi_wvalid,
    output wire [PORTS-1:0]                s_axi_wready,
    output wire [S_ID_W-1:0]               s_axi_bid,     // shared by all engines
    output wire [1:0]                      s_axi_bresp,   // shared by all engines
    output wire [PORTS-1:0]                s_axi_bvalid,
    input  wire [PORTS-1:0]                s_axi_bready,

    // memory side
    output reg  [M_ID_W-1:0]               m_axi_awid,
    output reg  [ADDR_WIDTH-1:0]           m_axi_awaddr,
    output reg  [7:0]                      m_axi_awlen,
    output reg  [2:0]                      m_axi_awsize,
    output reg  [1:0]                      m_axi_awburst,
    output wire                            m_axi_awlock,
    output wire [3:0]                      m_axi_awcache,
    output wire [2:0]                      m_axi_awprot,
    output wire                            m_axi_awvalid,
    input  wire                            m_axi_awready,
    output wire [DATA_WIDTH-1:0]           m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]         m_axi_wstrb,
    output wire                            m_axi_wlast,
    output wire                            m_axi_wvalid,
    input  wire                            m_axi_wready,
    input  wire [M_ID_W-1:0]               m_axi_bid,
    input  wire [1:0]                      m_axi_bresp,
    input  wire                            m_axi_bvalid,
    output wire                            m_axi_bready
);

localparam integer P_W = M_ID_W - S_ID_W;
localparam integer SEL_W = (PORTS > 1) ? $clog2(PORTS) : 1;
localparam integer AW_W = S_ID_W + ADDR_WIDTH + 8 + 3 + 2;
localparam integer STRB_W = DATA_WIDTH / 8;

initial begin
    if (PORTS < 1 || P_W < 1 || (1 << P_W) < PORTS || SEL_W > P_W || ORDER_LOG2 < 1) begin
        $error("nic_axi_wr_arb: M_ID_W - S_ID_W must be wide enough to number PORTS engines");
        $finish;
    end
end

wire [PORTS*AW_W-1:0] aw_data;
genvar p;
generate
for (p = 0; p < PORTS; p = p + 1) begin : g_pack
    assign aw_data[p*AW_W +: AW_W] = {s_axi_awid[p*S_ID_W +: S_ID_W],
        s_axi_awaddr[p*ADDR_WIDTH +: ADDR_WIDTH], s_axi_awlen[p*8 +: 8], s_axi_awsize[p*3 +: 3],
        s_axi_awburst[p*2 +: 2]};
end
endgenerate

reg              aw_valid_reg;
reg  [SEL_W-1:0] aw_port_reg;
wire             arb_valid;
wire [AW_W-1:0]  arb_data;
wire [SEL_W-1:0] arb_sel;
wire             order_ready;
wire             aw_fire = m_axi_awvalid && m_axi_awready;
wire             arb_ready = !aw_valid_reg || aw_fire;

nic_rr_arb #(.PORTS(PORTS), .WIDTH(AW_W), .SEL_W(SEL_W)) aw_arb (
    .clk(clk), .rst(rst),
    .s_valid(s_axi_awvalid), .s_ready(s_axi_awready), .s_data(aw_data),
    .m_valid(arb_valid), .m_ready(arb_ready), .m_data(arb_data), .m_sel(arb_sel));

// AW goes out only while the order queue can take its engine number
assign m_axi_awvalid = aw_valid_reg && order_ready;
assign m_axi_awlock = 1'b0;
assign m_axi_awcache = 4'b0011;
assign m_axi_awprot = 3'b000;

always @(posedge clk) begin
    if (arb_ready) begin
        m_axi_awid <= {{(P_W-SEL_W){1'b0}}, arb_sel, arb_data[AW_W-1 -: S_ID_W]};
        {m_axi_awaddr, m_axi_awlen, m_axi_awsize, m_axi_awburst} <= arb_data[AW_W-S_ID_W-1:0];
        aw_port_reg <= arb_sel;
    end
    if (rst) begin
        aw_valid_reg <= 1'b0;
    end else if (arb_ready) begin
        aw_valid_reg <= arb_valid;
    end
end

// W: from the engine whose AW went out first and whose data is not through yet
wire [SEL_W-1:0] w_port;
wire             w_have;
wire             w_done = m_axi_wvalid && m_axi_wready && m_axi_wlast;
wire [ORDER_LOG2:0] order_count_unused;
nic_fifo #(.WIDTH(SEL_W), .DEPTH_LOG2(ORDER_LOG2)) order_fifo (
    .clk(clk), .rst(rst),
    .s_data(aw_port_reg), .s_valid(aw_fire),
    .s_ready(order_ready),
    .m_data(w_port), .m_valid(w_have), .m_ready(w_done), .count(order_count_unused));

assign m_axi_wdata = s_axi_wdata[w_port*DATA_WIDTH +: DATA_WIDTH];
assign m_axi_wstrb = s_axi_wstrb[w_port*STRB_W +: STRB_W];
assign m_axi_wlast = s_axi_wlast[w_port];
assign m_axi_wvalid = w_have && s_axi_wvalid[w_port];
assign s_axi_wready = (w_have && m_axi_wready) ? ({{(PORTS-1){1'b0}}, 1'b1} << w_port)
                                               : {PORTS{1'b0}};

// B: route by the engine number in the upper ID bits
wire [P_W-1:0] b_port = m_axi_bid[M_ID_W-1 -: P_W];
assign s_axi_bid = m_axi_bid[S_ID_W-1:0];
assign s_axi_bresp = m_axi_bresp;
generate
for (p = 0; p < PORTS; p = p + 1) begin : g_b
    assign s_axi_bvalid[p] = m_axi_bvalid && (b_port == p);
end
endgenerate
assign m_axi_bready = ({{(32-P_W){1'b0}}, b_port} < PORTS) ? s_axi_bready[b_port[SEL_W-1:0]] : 1'b1;

wire unused_ok = &{1'b0, order_count_unused};

endmodule

`default_nettype wire
