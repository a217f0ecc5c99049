// nic_tx_rd: TX packet reader - turns segments into translated AXI4 read bursts.
//
// A segment (one descriptor: IOVA, length) is cut at 4 KiB IOVA pages into chunks; each chunk
// is translated with the VI's owner (one request per cycle, pipelined), then cut into INCR
// bursts that never cross 4 KiB nor exceed 256 beats. Every burst (and every refused chunk, as a
// zero-beat fault entry; and every abort segment) is recorded in order in a tracking queue read
// by nic_tx_align, which consumes the R beats. Up to 2^TRK_LOG2 bursts are in flight.
//
// Frame-buffer credit: a burst is issued only when its beat count fits in the store-and-forward
// buffer: CAP - (beats issued, not yet consumed by the aligner) - (beats held by the buffer).
// A burst's beats are an upper bound of the buffer beats its bytes will take once packed, so the
// aligner and the buffer never have to stall the R channel. A zero-beat entry (fault, abort)
// holds one beat of credit too, for the error record the aligner may write in its place.
//
// DMA fence: a chunk's translation is done with once its last entry (last burst, or fault
// entry) has been consumed by the aligner; that entry says so (trk_xdone) with the
// translation's fence epoch (trk_epoch).
`timescale 1ns / 1ps
`default_nettype none

module nic_tx_rd #(
    parameter integer VI_W = 4,
    parameter integer ADDR_WIDTH = 48,
    parameter integer DATA_WIDTH = 512,
    parameter integer IOVA_W = 24,
    parameter integer GEN_W = 4,
    parameter integer TRK_LOG2 = 6,     // bursts in flight, log2
    parameter integer FB_LOG2 = 9,      // frame buffer beats, log2
    parameter integer FB_SLACK = 8      // buffer beats kept back for the aligner pipeline
) (
    input  wire                      clk,
    input  wire                      rst,

    input  wire                      seg_valid,
    output wire                      seg_ready,
    input  wire [VI_W-1:0]           seg_vi,
    input  wire [GEN_W-1:0]          seg_gen,
    input  wire [15:0]               seg_owner,
    input  wire [IOVA_W:0]           seg_iova,
    input  wire [15:0]               seg_len,
    input  wire [15:0]               seg_idx,
    input  wire                      seg_first,
    input  wire                      seg_last,
    input  wire                      seg_abort,
    input  wire [1:0]                seg_err,
    input  wire                      seg_csum_ip,
    input  wire                      seg_csum_l4,
    input  wire [7:0]                seg_ndesc,

    output wire                      xlat_req_valid,
    input  wire                      xlat_req_ready,
    output wire [63:0]               xlat_req_iova,
    output wire [15:0]               xlat_req_owner,
    output wire [15:0]               xlat_req_len,
    input  wire                      xlat_resp_valid,
    output wire                      xlat_resp_ready,
    input  wire [ADDR_WIDTH-1:0]     xlat_resp_addr,
    input  wire                      xlat_resp_fault,
    input  wire                      xlat_resp_epoch,

    output wire [3:0]                m_axi_arid,
    output wire [ADDR_WIDTH-1:0]     m_axi_araddr,
    output wire [7:0]                m_axi_arlen,
    output wire [2:0]                m_axi_arsize,
    output wire [1:0]                m_axi_arburst,
    output wire                      m_axi_arvalid,
    input  wire                      m_axi_arready,

    // tracking entries, in burst order (to nic_tx_align)
    output wire                      trk_valid,
    input  wire                      trk_ready,
    output wire [8:0]                trk_beats,   // 0: no data (fault or abort entry)
    output wire [$clog2(DATA_WIDTH/8)-1:0] trk_lo, // byte offset of the data in the first beat
    output wire [12:0]               trk_bytes,
    output wire                      trk_sof,
    output wire                      trk_eof,
    output wire                      trk_fault,
    output wire                      trk_abort,
    output wire [1:0]                trk_err,     // abort entry: error carried from dispatch
    output wire [VI_W-1:0]           trk_vi,
    output wire [GEN_W-1:0]          trk_gen,
    output wire [15:0]               trk_idx,
    output wire                      trk_csum_ip,
    output wire                      trk_csum_l4,
    output wire [7:0]                trk_ndesc,
    output wire                      trk_xdone,   // the last entry of a translated chunk
    output wire                      trk_epoch,   // its translation's fence epoch

    // credit
    input  wire [FB_LOG2:0]          fb_count,    // beats held by the frame buffer
    input  wire                      beat_done    // one beat of credit returned by the aligner
);

localparam integer BYTES = DATA_WIDTH / 8;
localparam integer OFF_W = $clog2(BYTES);
localparam integer BOUND = (256 * BYTES < 4096) ? 256 * BYTES : 4096;   // burst boundary
localparam integer BOUND_W = $clog2(BOUND);
localparam [12:0] BOUND13 = BOUND[12:0];
localparam [12:0] BYTES_M1 = BYTES[12:0] - 13'd1;
localparam integer CAP = (1 << FB_LOG2) - FB_SLACK;
localparam [FB_LOG2+1:0] CAP_W = CAP[FB_LOG2+1:0];
// chunk sideband: {vi, gen, idx, cip, cl4, ndesc, err, sof, eof, abort, clen}
localparam integer C_W = VI_W + GEN_W + 16 + 2 + 8 + 2 + 3 + 13;
// tracking entry: {vi, gen, idx, cip, cl4, ndesc, err, sof, eof, fault, abort, beats, lo, bytes}
localparam integer T_W = VI_W + GEN_W + 16 + 2 + 8 + 2 + 4 + 9 + OFF_W + 13;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0 ||
            IOVA_W < 13 || IOVA_W > 60 || TRK_LOG2 < 1 || FB_LOG2 < 6 || FB_SLACK < 4 ||
            CAP < 2 * 4096 / BYTES) begin
        $error("nic_tx_rd: impossible configuration");
        $finish;
    end
end

// ------------------------------------------------------------------------------ chunks

reg  [15:0]     c_off_reg;
wire [IOVA_W+1:0] c_iova = {1'b0, seg_iova} + {{(IOVA_W-14){1'b0}}, c_off_reg};
wire [15:0]     c_rem = seg_len - c_off_reg;
wire [12:0]     c_page_left = 13'h1000 - {1'b0, c_iova[11:0]};
wire            c_end = c_rem <= {3'd0, c_page_left};
wire [12:0]     c_len = c_end ? c_rem[12:0] : c_page_left;

wire            side_ready;
wire            x_go = seg_valid && !seg_abort && side_ready && xlat_req_ready;
wire            c_push = x_go || (seg_valid && seg_abort && side_ready);
assign seg_ready = c_push && (seg_abort || c_end);
assign xlat_req_valid = seg_valid && !seg_abort && side_ready;
assign xlat_req_iova = {{(62-IOVA_W){1'b0}}, c_iova};
assign xlat_req_owner = seg_owner;
assign xlat_req_len = {3'd0, c_len};

wire [C_W-1:0] c_side = {seg_vi, seg_gen, seg_idx, seg_csum_ip, seg_csum_l4, seg_ndesc, seg_err,
                         seg_first && c_off_reg == 16'd0, seg_last && (c_end || seg_abort),
                         seg_abort, c_len};

always @(posedge clk) begin
    if (rst) begin
        c_off_reg <= 16'd0;
    end else if (seg_ready) begin
        c_off_reg <= 16'd0;
    end else if (c_push) begin
        c_off_reg <= c_off_reg + {3'd0, c_len};
    end
end

wire [C_W-1:0] side_out;
wire           side_valid, side_pop;
wire [3:0]     side_count_unused;
nic_fifo #(.WIDTH(C_W), .DEPTH_LOG2(3)) side_fifo (
    .clk(clk), .rst(rst),
    .s_data(c_side), .s_valid(c_push), .s_ready(side_ready),
    .m_data(side_out), .m_valid(side_valid), .m_ready(side_pop), .count(side_count_unused));

wire [12:0] h_clen = side_out[12:0];
wire        h_abort = side_out[13];
wire        h_eof = side_out[14];
wire        h_sof = side_out[15];
wire [C_W-17:0] h_meta = side_out[C_W-1:16];   // {vi, gen, idx, cip, cl4, ndesc, err}

// ------------------------------------------------------------------------------ bursts

reg  [12:0]           b_off_reg;
wire [ADDR_WIDTH-1:0] b_addr = xlat_resp_addr + {{(ADDR_WIDTH-13){1'b0}}, b_off_reg};
wire [12:0]           b_bnd_left = BOUND13 - {{(13-BOUND_W){1'b0}}, b_addr[BOUND_W-1:0]};
wire [12:0]           b_rem = h_clen - b_off_reg;
wire                  b_last = b_rem <= b_bnd_left;
wire [12:0]           b_len = b_last ? b_rem : b_bnd_left;
wire [OFF_W-1:0]      b_lo = b_addr[OFF_W-1:0];
wire [15:0]           b_span = {{(16-OFF_W){1'b0}}, b_lo} + {3'd0, b_len} + {3'd0, BYTES_M1};
wire [15:0]           b_beats_w = b_span >> OFF_W;
wire [8:0]            b_beats = b_beats_w[8:0];

// credit
reg  [FB_LOG2+1:0] inflight_reg;
wire [FB_LOG2+1:0] used = inflight_reg + {1'b0, fb_count};
wire [FB_LOG2+1:0] avail = (used >= CAP_W) ? {(FB_LOG2+2){1'b0}} : CAP_W - used;
wire credit_ok = {{(FB_LOG2-7){1'b0}}, b_beats} <= avail;

wire trk_in_ready;
wire h_data = side_valid && !h_abort && xlat_resp_valid && !xlat_resp_fault;
wire h_nodata = side_valid && (h_abort || (xlat_resp_valid && xlat_resp_fault));
// once raised, the request stays up until taken (the credit may dip while beats move from the
// aligner into the buffer; FB_SLACK covers that)
reg  ar_hold_reg;
assign m_axi_arvalid = h_data && trk_in_ready && (credit_ok || ar_hold_reg);
wire ar_fire = m_axi_arvalid && m_axi_arready;
wire nd_fire = h_nodata && trk_in_ready && (avail != {(FB_LOG2+2){1'b0}});
assign side_pop = nd_fire || (ar_fire && b_last);
assign xlat_resp_ready = side_pop && !h_abort;

assign m_axi_arid = 4'd0;
assign m_axi_araddr = {b_addr[ADDR_WIDTH-1:OFF_W], {OFF_W{1'b0}}};
assign m_axi_arlen = b_beats[7:0] - 8'd1;
assign m_axi_arsize = OFF_W[2:0];
assign m_axi_arburst = 2'b01;

always @(posedge clk) begin
    if (rst) begin
        ar_hold_reg <= 1'b0;
        b_off_reg <= 13'd0;
        inflight_reg <= {(FB_LOG2+2){1'b0}};
    end else begin
        ar_hold_reg <= m_axi_arvalid && !m_axi_arready;
        if (side_pop) begin
            b_off_reg <= 13'd0;
        end else if (ar_fire) begin
            b_off_reg <= b_off_reg + b_len;
        end
        inflight_reg <= inflight_reg + (ar_fire ? {{(FB_LOG2-7){1'b0}}, b_beats} :
                                                  {{(FB_LOG2+1){1'b0}}, nd_fire})
                                     - {{(FB_LOG2+1){1'b0}}, beat_done};
    end
end

wire t_fault = !h_abort && xlat_resp_fault;
wire [T_W-1:0] trk_in = {h_meta, h_sof && b_off_reg == 13'd0, h_eof && (nd_fire || b_last),
                         t_fault, h_abort, nd_fire ? 9'd0 : b_beats, b_lo,
                         nd_fire ? 13'd0 : b_len};
wire [T_W-1:0] trk_out;
wire [TRK_LOG2:0] trk_count_unused;
// abort entries had no translation; a fault entry, or a chunk's last burst, ends one
wire t_xdone = !h_abort && (nd_fire || b_last);
nic_fifo #(.WIDTH(T_W + 2), .DEPTH_LOG2(TRK_LOG2)) trk_fifo (
    .clk(clk), .rst(rst),
    .s_data({t_xdone, xlat_resp_epoch, trk_in}), .s_valid(ar_fire || nd_fire),
    .s_ready(trk_in_ready),
    .m_data({trk_xdone, trk_epoch, trk_out}), .m_valid(trk_valid), .m_ready(trk_ready),
    .count(trk_count_unused));

assign trk_bytes = trk_out[12:0];
assign trk_lo = trk_out[13 +: OFF_W];
assign trk_beats = trk_out[13 + OFF_W +: 9];
assign trk_abort = trk_out[22 + OFF_W];
assign trk_fault = trk_out[23 + OFF_W];
assign trk_eof = trk_out[24 + OFF_W];
assign trk_sof = trk_out[25 + OFF_W];
assign {trk_vi, trk_gen, trk_idx, trk_csum_ip, trk_csum_l4, trk_ndesc, trk_err} =
    trk_out[T_W-1 -: C_W-16];

wire unused_ok = &{1'b0, side_count_unused, trk_count_unused, c_iova[IOVA_W+1:12], c_rem[15:13],
                   b_beats_w[15:9]};

endmodule

`default_nettype wire
