// nic_tx_desc_fetch: reads batches of TX descriptors from host memory.
//
// A request names n (1..255) consecutive descriptors at one IOVA that do not cross a 4 KiB page
// (nic_tx_desc guarantees it). The IOVA is translated with the VI's owner; one AXI4 INCR burst
// reads the n*16 bytes; up to 2^OUTSTANDING_LOG2 bursts are in flight and the memory answers them
// in order (one ID). The response parser hands the descriptors out one per cycle (fd_*), each
// with its ring index. A refused translation reads nothing: in its place, in order, one item
// with fd_fault=1 and the batch's first index comes out (nic_tx_desc turns it into the fault).
// Descriptor rings must be 16-byte aligned.
// DMA fence: every translation is retired (xlat_ret, per epoch) when its tracking entry leaves,
// i.e. once the burst's last beat has been taken, or the fault item handed out.
`timescale 1ns / 1ps
`default_nettype none

module nic_tx_desc_fetch #(
    parameter integer NUM_VI = 16,
    parameter integer VI_W = $clog2(NUM_VI),
    parameter integer ADDR_WIDTH = 48,
    parameter integer DATA_WIDTH = 512,
    parameter integer GEN_W = 4,
    parameter integer OUTSTANDING_LOG2 = 4
) (
    input  wire                       clk,
    input  wire                       rst,

    input  wire                       req_valid,
    output wire                       req_ready,
    input  wire [VI_W-1:0]            req_vi,
    input  wire [GEN_W-1:0]           req_gen,
    input  wire [15:0]                req_idx,
    input  wire [7:0]                 req_n,
    input  wire [63:0]                req_iova,
    input  wire [15:0]                req_owner,

    output wire                       fd_valid,
    input  wire                       fd_ready,
    output wire [VI_W-1:0]            fd_vi,
    output wire [GEN_W-1:0]           fd_gen,
    output wire [15:0]                fd_idx,
    output wire [127:0]               fd_desc,
    output wire                       fd_fault,

    output wire                       xlat_req_valid,
    input  wire                       xlat_req_ready,
    output wire [63:0]                xlat_req_iova,
    output wire [15:0]                xlat_req_owner,
    output wire [15:0]                xlat_req_len,
    input  wire                       xlat_resp_valid,
    output wire                       xlat_resp_ready,
    input  wire [ADDR_WIDTH-1:0]      xlat_resp_addr,
    input  wire                       xlat_resp_fault,
    input  wire                       xlat_resp_epoch,
    output wire [15:0]                xlat_ret,     // {epoch 1, epoch 0} retirements, 8 bits each

    output wire [3:0]                 m_axi_arid,
    output wire [ADDR_WIDTH-1:0]      m_axi_araddr,
    output wire [7:0]                 m_axi_arlen,
    output wire [2:0]                 m_axi_arsize,
    output wire [1:0]                 m_axi_arburst,
    output wire                       m_axi_arvalid,
    input  wire                       m_axi_arready,
    input  wire [DATA_WIDTH-1:0]      m_axi_rdata,
    input  wire                       m_axi_rvalid,
    output wire                       m_axi_rready
);

localparam integer BYTES = DATA_WIDTH / 8;
localparam integer OFF_W = $clog2(BYTES);
localparam integer LANES = (BYTES >= 16) ? BYTES / 16 : 1;   // descriptors per beat
localparam integer LANE_W = (LANES > 1) ? $clog2(LANES) : 1;
localparam integer T_W = VI_W + GEN_W + 16 + 8;               // {vi, gen, idx, n}

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0 ||
            ADDR_WIDTH < 32 || ADDR_WIDTH > 64 || OUTSTANDING_LOG2 < 1) begin
        $error("nic_tx_desc_fetch: impossible configuration");
        $finish;
    end
end

// ------------------------------------------------------------------------------ translate

wire [T_W-1:0] side_in = {req_vi, req_gen, req_idx, req_n};
wire [T_W-1:0] side_out;
wire           side_ready, side_valid, side_pop;
wire [2:0]     side_count_unused;
nic_fifo #(.WIDTH(T_W), .DEPTH_LOG2(2)) side_fifo (
    .clk(clk), .rst(rst),
    .s_data(side_in), .s_valid(req_valid && xlat_req_ready), .s_ready(side_ready),
    .m_data(side_out), .m_valid(side_valid), .m_ready(side_pop), .count(side_count_unused));

assign xlat_req_valid = req_valid && side_ready;
assign req_ready = xlat_req_ready && side_ready;
assign xlat_req_iova = req_iova;
assign xlat_req_owner = req_owner;
assign xlat_req_len = {4'd0, req_n, 4'd0};

wire [7:0]      x_n = side_out[7:0];

// ------------------------------------------------------------------------------ AR issue

wire              trk_ready;
wire [OFF_W-1:0]  x_off = xlat_resp_addr[OFF_W-1:0];
wire [12:0]       x_span = {{(13-OFF_W){1'b0}}, x_off} + {1'b0, x_n, 4'd0} + (BYTES[12:0] - 13'd1);
wire [12:0]       x_beats = x_span >> OFF_W;

wire x_fault_go = xlat_resp_valid && side_valid && xlat_resp_fault && trk_ready;
assign m_axi_arvalid = xlat_resp_valid && side_valid && !xlat_resp_fault && trk_ready;
wire ar_fire = m_axi_arvalid && m_axi_arready;
assign xlat_resp_ready = ar_fire || x_fault_go;
assign side_pop = xlat_resp_ready;

assign m_axi_arid = 4'd0;
assign m_axi_araddr = {xlat_resp_addr[ADDR_WIDTH-1:OFF_W], {OFF_W{1'b0}}};
assign m_axi_arlen = x_beats[7:0] - 8'd1;
assign m_axi_arsize = OFF_W[2:0];
assign m_axi_arburst = 2'b01;

// ------------------------------------------------------------------------------ R parse

// tracking entry: {vi, gen, idx, n, fault, first lane}
localparam integer K_W = T_W + 1 + LANE_W;
wire [LANE_W-1:0] x_lane;
generate
if (LANES > 1) begin : g_lane
    assign x_lane = x_off[OFF_W-1:4];
end else begin : g_nolane
    assign x_lane = 1'b0;
end
endgenerate

wire [K_W-1:0] trk_out;
wire           trk_epoch;     // fence epoch of the entry's translation
wire           trk_valid, trk_pop;
wire [OUTSTANDING_LOG2:0] trk_count_unused;
nic_fifo #(.WIDTH(K_W + 1), .DEPTH_LOG2(OUTSTANDING_LOG2)) trk_fifo (
    .clk(clk), .rst(rst),
    .s_data({xlat_resp_epoch, side_out, xlat_resp_fault, x_lane}), .s_valid(ar_fire || x_fault_go),
    .s_ready(trk_ready),
    .m_data({trk_epoch, trk_out}), .m_valid(trk_valid), .m_ready(trk_pop),
    .count(trk_count_unused));

wire [LANE_W-1:0] t_lane0 = trk_out[LANE_W-1:0];
wire              t_fault = trk_out[LANE_W];
wire [7:0]        t_n = trk_out[LANE_W + 1 +: 8];
wire [15:0]       t_idx = trk_out[LANE_W + 9 +: 16];

reg  [7:0]        cnt_reg;       // descriptors of this entry handed out
reg  [LANE_W-1:0] lane_reg;      // next lane within the current beat
reg               lane_ok_reg;   // lane_reg is valid (else start at the entry's first lane)
wire [LANE_W-1:0] lane = lane_ok_reg ? lane_reg : t_lane0;
wire              d_last = t_fault || ((cnt_reg + 8'd1) == t_n);
wire              fd_fire = fd_valid && fd_ready;

assign fd_vi = trk_out[K_W-1 -: VI_W];
assign fd_gen = trk_out[K_W-VI_W-1 -: GEN_W];
assign fd_idx = t_idx + {8'd0, cnt_reg};
assign trk_pop = fd_fire && d_last;
assign fd_fault = t_fault;
assign xlat_ret = {7'd0, trk_pop && trk_epoch, 7'd0, trk_pop && !trk_epoch};

generate
if (BYTES >= 16) begin : g_wide
    wire lane_end = (LANES == 1) || (&lane);
    assign fd_valid = trk_valid && (m_axi_rvalid || t_fault);
    assign fd_desc = m_axi_rdata[lane*128 +: 128];
    assign m_axi_rready = fd_fire && !t_fault && (lane_end || d_last);
    always @(posedge clk) begin
        if (rst) begin
            cnt_reg <= 8'd0;
            lane_ok_reg <= 1'b0;
        end else if (fd_fire) begin
            cnt_reg <= d_last ? 8'd0 : cnt_reg + 8'd1;
            lane_ok_reg <= !d_last;
            lane_reg <= lane_end ? {LANE_W{1'b0}} : lane + 1'b1;
        end
    end
end else begin : g_narrow
    // 64-bit beats: a descriptor is two beats, low half first
    reg        half_reg;
    reg [63:0] low_reg;
    assign fd_valid = trk_valid && ((m_axi_rvalid && half_reg) || t_fault);
    assign fd_desc = {m_axi_rdata, low_reg};
    assign m_axi_rready = trk_valid && !t_fault && (!half_reg || fd_ready);
    always @(posedge clk) begin
        if (m_axi_rvalid && m_axi_rready && !half_reg) begin
            low_reg <= m_axi_rdata;
        end
        if (rst) begin
            cnt_reg <= 8'd0;
            half_reg <= 1'b0;
            lane_ok_reg <= 1'b0;
        end else begin
            if (m_axi_rvalid && m_axi_rready) begin
                half_reg <= !half_reg;
            end
            if (fd_fire) begin
                cnt_reg <= d_last ? 8'd0 : cnt_reg + 8'd1;
            end
        end
        lane_reg <= 1'b0;
    end
    wire unused_narrow = &{1'b0, lane, t_lane0, lane_ok_reg, lane_reg};
end
endgenerate

wire unused_ok = &{1'b0, side_count_unused, trk_count_unused, x_span[OFF_W-1:0],
                   x_beats[12:8]};

endmodule

`default_nettype wire
