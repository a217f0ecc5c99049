// nic_axi_rd_arb: shares the AXI4 read channels of one master port among PORTS engines.
//
// Each engine has an AXI4 read master with S_ID_W-bit IDs. AR requests are arbitrated
// round-robin into a register slice; the engine number is prefixed to the ID (upper bits of the
// M_ID_W-bit ID). R beats are routed back to the engine named by the upper ID bits. Engines issue
// all their reads with one ID, so each sees its own responses in order whatever the memory does
// with different IDs. Engine p's fields are at [p*W +: W] of the flattened buses.
`timescale 1ns / 1ps
`default_nettype none

module nic_axi_rd_arb #(
    parameter integer PORTS = 3,
    parameter integer DATA_WIDTH = 512,
    parameter integer ADDR_WIDTH = 48,
    parameter integer S_ID_W = 4,
    parameter integer M_ID_W = 8
) (
    input  wire                          clk,
    input  wire                          rst,

    // engine side
    input  wire [PORTS*S_ID_W-1:0]       s_axi_arid,
    input  wire [PORTS*ADDR_WIDTH-1:0]   s_axi_araddr,
    input  wire [PORTS*8-1:0]            s_axi_arlen,
    input  wire [PORTS*3-1:0]            s_axi_arsize,
    input  wire [PORTS*2-1:0]            s_axi_arburst,
    input  wire [PORTS-1:0]              s_axi_arvalid,
    output wire [PORTS-1:0]              s_axi_arready,
    output wire [S_ID_W-1:0]             s_axi_rid,      // shared by all engines
    output wire [DATA_WIDTH-1:0]         s_axi_rdata,    // shared by all engines
    output wire [1:0]                    s_axi_rresp,    // shared by all engines
    output wire                          s_axi_rlast,    // shared by all engines
    output wire [PORTS-1:0]              s_axi_rvalid,
    input  wire [PORTS-1:0]              s_axi_rready,

    // memory side
    output reg  [M_ID_W-1:0]             m_axi_arid,
    output reg  [ADDR_WIDTH-1:0]         m_axi_araddr,
    output reg  [7:0]                    m_axi_arlen,
    output reg  [2:0]                    m_axi_arsize,
    output reg  [1:0]                    m_axi_arburst,
    output wire                          m_axi_arlock,
    output wire [3:0]                    m_axi_arcache,
    output wire [2:0]                    m_axi_arprot,
    output wire                          m_axi_arvalid,
    input  wire                          m_axi_arready,
    input  wire [M_ID_W-1:0]             m_axi_rid,
    input  wire [DATA_WIDTH-1:0]         m_axi_rdata,
    input  wire [1:0]                    m_axi_rresp,
    input  wire                          m_axi_rlast,
    input  wire                          m_axi_rvalid,
    output wire                          m_axi_rready
);

localparam integer P_W = M_ID_W - S_ID_W;                  // engine number bits in the ID
localparam integer SEL_W = (PORTS > 1) ? $clog2(PORTS) : 1;
localparam integer AR_W = S_ID_W + ADDR_WIDTH + 8 + 3 + 2;

initial begin
    if (PORTS < 1 || P_W < 1 || (1 << P_W) < PORTS || SEL_W > P_W) begin
        $error("nic_axi_rd_arb: M_ID_W - S_ID_W must be wide enough to number PORTS engines");
        $finish;
    end
end

wire [PORTS*AR_W-1:0] ar_data;
genvar p;
generate
for (p = 0; p < PORTS; p = p + 1) begin : g_pack
    assign ar_data[p*AR_W +: AR_W] = {s_axi_arid[p*S_ID_W +: S_ID_W],
        s_axi_araddr[p*ADDR_WIDTH +: ADDR_WIDTH], s_axi_arlen[p*8 +: 8], s_axi_arsize[p*3 +: 3],
        s_axi_arburst[p*2 +: 2]};
end
endgenerate

reg              ar_valid_reg;
wire             arb_valid;
wire [AR_W-1:0]  arb_data;
wire [SEL_W-1:0] arb_sel;
wire             arb_ready = !ar_valid_reg || m_axi_arready;

nic_rr_arb #(.PORTS(PORTS), .WIDTH(AR_W), .SEL_W(SEL_W)) ar_arb (
    .clk(clk), .rst(rst),
    .s_valid(s_axi_arvalid), .s_ready(s_axi_arready), .s_data(ar_data),
    .m_valid(arb_valid), .m_ready(arb_ready), .m_data(arb_data), .m_sel(arb_sel));

assign m_axi_arvalid = ar_valid_reg;
assign m_axi_arlock = 1'b0;
assign m_axi_arcache = 4'b0011;
assign m_axi_arprot = 3'b000;

always @(posedge clk) begin
    if (arb_ready) begin
        m_axi_arid <= {{(P_W-SEL_W){1'b0}}, arb_sel, arb_data[AR_W-1 -: S_ID_W]};
        {m_axi_araddr, m_axi_arlen, m_axi_arsize, m_axi_arburst} <= arb_data[AR_W-S_ID_W-1:0];
    end
    if (rst) begin
        ar_valid_reg <= 1'b0;
    end else if (arb_ready) begin
        ar_valid_reg <= arb_valid;
    end
end

// R: route by the engine number in the upper ID bits
wire [P_W-1:0] r_port = m_axi_rid[M_ID_W-1 -: P_W];
assign s_axi_rid = m_axi_rid[S_ID_W-1:0];
assign s_axi_rdata = m_axi_rdata;
assign s_axi_rresp = m_axi_rresp;
assign s_axi_rlast = m_axi_rlast;
generate
for (p = 0; p < PORTS; p = p + 1) begin : g_r
    assign s_axi_rvalid[p] = m_axi_rvalid && (r_port == p);
end
endgenerate
assign m_axi_rready = ({{(32-P_W){1'b0}}, r_port} < PORTS) ? s_axi_rready[r_port[SEL_W-1:0]] : 1'b1;

endmodule

`default_nettype wire
