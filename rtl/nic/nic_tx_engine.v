// nic_tx_engine: the whole transmit path.
//
//   nic_tx_desc        VI scheduler, per-VI descriptor cache, frame dispatcher (+ reservations)
//   nic_tx_desc_fetch  descriptor batch reads (translate port "xd", AXI read master "d")
//   nic_tx_rd          packet reads: page chunks, translation (port "xp"), bursts (master "p")
//   nic_tx_align       byte realignment into a packed stream, fault / drop handling
//   nic_tx_csum        IPv4 / UDP / TCP checksum computation, in line
//   nic_frame_fifo     store-and-forward frame buffer (2^FB_LOG2 beats), drops aborted frames
//   nic_tx_out         wire side: checksum insertion, tkeep, completion events, consumer index
// Faults of the TX path (descriptor fetch refused, bad descriptor, packet read refused) stop the
// VI at once and travel down the pipeline as error records, so that ev_* carries one VI's
// completions and its error event in ring order: ev_type EV_TYPE_TX (reserved at dispatch,
// ev_reserved=1) or EV_TYPE_ERROR with ev_code ERR_TX_* (ev_reserved=0). stat_inc bit STAT_x is
// a one-cycle pulse for counter x (TX_FRAMES with stat_bytes, TX_DESCS, TX_ERRORS, DMA_FAULTS).
`timescale 1ns / 1ps
`default_nettype none

module nic_tx_engine #(
    parameter integer NUM_VI = 16,
    parameter integer VI_W = $clog2(NUM_VI),
    parameter integer DATA_WIDTH = 512,
    parameter integer ADDR_WIDTH = 48,
    parameter integer BUFTBL_LOG2 = 12,
    parameter integer FB_LOG2 = 9,          // frame buffer beats, log2 (>= 32 KiB recommended)
    parameter integer CACHE_LOG2 = 6,       // descriptor cache slots per VI, log2
    parameter integer BATCH = 16,           // descriptors per fetch burst, at most
    parameter integer FETCH_LOG2 = 4,       // descriptor fetch bursts in flight, log2
    parameter integer TRK_LOG2 = 6,         // packet read bursts in flight, log2
    parameter integer GEN_W = 4             // VI configuration generation bits
) (
    input  wire                      clk,
    input  wire                      rst,

    input  wire                      cfg_vi_valid,
    input  wire [VI_W-1:0]           cfg_vi,
    input  wire                      cfg_vi_enable,
    input  wire [15:0]               cfg_vi_owner,
    input  wire [63:0]               cfg_vi_txq_base,
    input  wire [3:0]                cfg_vi_txq_log2,
    input  wire                      db_valid,
    input  wire [VI_W-1:0]           db_vi,
    input  wire [1:0]                db_kind,
    input  wire [31:0]               db_value,
    input  wire                      ctrl_tx_enable,
    input  wire                      flt_valid,
    input  wire [VI_W-1:0]           flt_vi,

    // event reservation and events (nic_evq)
    output wire                      rsv_req_valid,
    input  wire                      rsv_req_ready,
    output wire [VI_W-1:0]           rsv_req_vi,
    input  wire                      rsv_resp_valid,
    input  wire                      rsv_resp_ok,
    output wire                      ev_valid,
    input  wire                      ev_ready,
    output wire [VI_W-1:0]           ev_vi,
    output wire [15:0]               ev_index,
    output wire [15:0]               ev_len,
    output wire [7:0]                ev_ndesc,
    output wire [GEN_W-1:0]          ev_gen,      // the VI generation the event belongs to
    output wire [3:0]                ev_type,
    output wire [7:0]                ev_code,
    output wire                      ev_reserved,

    // buffer-table ports: descriptors (xd) and packet data (xp)
    output wire                      xd_req_valid,
    input  wire                      xd_req_ready,
    output wire [63:0]               xd_req_iova,
    output wire [15:0]               xd_req_owner,
    output wire [15:0]               xd_req_len,
    input  wire                      xd_resp_valid,
    output wire                      xd_resp_ready,
    input  wire [ADDR_WIDTH-1:0]     xd_resp_addr,
    input  wire                      xd_resp_fault,
    input  wire                      xd_resp_epoch,
    output wire [15:0]               xd_ret,       // DMA-fence retirements {epoch 1, epoch 0}
    output wire                      xp_req_valid,
    input  wire                      xp_req_ready,
    output wire [63:0]               xp_req_iova,
    output wire [15:0]               xp_req_owner,
    output wire [15:0]               xp_req_len,
    input  wire                      xp_resp_valid,
    output wire                      xp_resp_ready,
    input  wire [ADDR_WIDTH-1:0]     xp_resp_addr,
    input  wire                      xp_resp_fault,
    input  wire                      xp_resp_epoch,
    output wire [15:0]               xp_ret,

    // AXI4 read masters: descriptors (d) and packet data (p), ID 0 each
    output wire [3:0]                d_axi_arid,
    output wire [ADDR_WIDTH-1:0]     d_axi_araddr,
    output wire [7:0]                d_axi_arlen,
    output wire [2:0]                d_axi_arsize,
    output wire [1:0]                d_axi_arburst,
    output wire                      d_axi_arvalid,
    input  wire                      d_axi_arready,
    input  wire [DATA_WIDTH-1:0]     d_axi_rdata,
    input  wire                      d_axi_rvalid,
    output wire                      d_axi_rready,
    output wire [3:0]                p_axi_arid,
    output wire [ADDR_WIDTH-1:0]     p_axi_araddr,
    output wire [7:0]                p_axi_arlen,
    output wire [2:0]                p_axi_arsize,
    output wire [1:0]                p_axi_arburst,
    output wire                      p_axi_arvalid,
    input  wire                      p_axi_arready,
    input  wire [DATA_WIDTH-1:0]     p_axi_rdata,
    input  wire                      p_axi_rvalid,
    output wire                      p_axi_rready,

    output wire [DATA_WIDTH-1:0]     m_axis_tx_tdata,
    output wire [DATA_WIDTH/8-1:0]   m_axis_tx_tkeep,
    output wire                      m_axis_tx_tvalid,
    input  wire                      m_axis_tx_tready,
    output wire                      m_axis_tx_tlast,
    output wire                      m_axis_tx_tuser,

    input  wire [VI_W-1:0]           sts_vi,
    output wire [15:0]               sts_tx_cons,

    output wire [31:0]               stat_inc,
    output wire [15:0]               stat_bytes
);

/* verilator lint_off UNUSEDPARAM */  // generated header: only some constants are used here
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam integer IOVA_W = BUFTBL_LOG2 + 12;
localparam integer OFF_W = $clog2(DATA_WIDTH / 8);
localparam integer CM_W = VI_W + GEN_W + 16 + 8 + 2;              // csum sideband
localparam integer FM_W = 14 + CM_W + 1 + 16 + 1 + 7 + 16;        // frame metadata

initial begin
    if (NUM_VI < 2 || (1 << VI_W) < NUM_VI || DATA_WIDTH < 64 || DATA_WIDTH > 512 ||
            (DATA_WIDTH & (DATA_WIDTH - 1)) != 0 || BUFTBL_LOG2 < 1 || BUFTBL_LOG2 > 20 ||
            FB_LOG2 < 6 || (1 << FB_LOG2) * (DATA_WIDTH / 8) < 2 * TX_MAX_FRAME) begin
        $error("nic_tx_engine: impossible configuration (frame buffer must hold two frames)");
        $finish;
    end
end

wire              lflt_valid;
wire [VI_W-1:0]   lflt_vi;

// ------------------------------------------------------------------------------ descriptors

wire             freq_valid, freq_ready;
wire [VI_W-1:0]  freq_vi;
wire [GEN_W-1:0] freq_gen;
wire [15:0]      freq_idx;
wire [7:0]       freq_n;
wire [63:0]      freq_iova;
wire [15:0]      freq_owner;
wire             fd_valid, fd_ready;
wire [VI_W-1:0]  fd_vi;
wire [GEN_W-1:0] fd_gen;
wire [15:0]      fd_idx;
wire [127:0]     fd_desc;

wire             seg_valid, seg_ready;
wire [VI_W-1:0]  seg_vi;
wire [GEN_W-1:0] seg_gen;
wire [15:0]      seg_owner;
wire [IOVA_W:0]  seg_iova;
wire [15:0]      seg_len, seg_idx;
wire             seg_first, seg_last, seg_abort, seg_csum_ip, seg_csum_l4;
wire [7:0]       seg_ndesc;

wire             fd_fault;
wire [1:0]       seg_err;
wire             stat_descs;

nic_tx_desc #(
    .NUM_VI(NUM_VI), .VI_W(VI_W), .IOVA_W(IOVA_W), .CACHE_LOG2(CACHE_LOG2), .BATCH(BATCH),
    .GEN_W(GEN_W)
) desc_inst (
    .clk(clk), .rst(rst),
    .cfg_vi_valid(cfg_vi_valid), .cfg_vi(cfg_vi), .cfg_vi_enable(cfg_vi_enable),
    .cfg_vi_owner(cfg_vi_owner), .cfg_vi_txq_base(cfg_vi_txq_base),
    .cfg_vi_txq_log2(cfg_vi_txq_log2),
    .db_valid(db_valid), .db_vi(db_vi), .db_kind(db_kind), .db_value(db_value),
    .ctrl_tx_enable(ctrl_tx_enable),
    .flt_valid(flt_valid), .flt_vi(flt_vi), .lflt_valid(lflt_valid), .lflt_vi(lflt_vi),
    .freq_valid(freq_valid), .freq_ready(freq_ready), .freq_vi(freq_vi), .freq_gen(freq_gen),
    .freq_idx(freq_idx), .freq_n(freq_n), .freq_iova(freq_iova), .freq_owner(freq_owner),
    .fd_valid(fd_valid), .fd_ready(fd_ready), .fd_vi(fd_vi), .fd_gen(fd_gen), .fd_idx(fd_idx),
    .fd_desc(fd_desc), .fd_fault(fd_fault),
    .rsv_req_valid(rsv_req_valid), .rsv_req_ready(rsv_req_ready), .rsv_req_vi(rsv_req_vi),
    .rsv_resp_valid(rsv_resp_valid), .rsv_resp_ok(rsv_resp_ok),
    .seg_valid(seg_valid), .seg_ready(seg_ready), .seg_vi(seg_vi), .seg_gen(seg_gen),
    .seg_owner(seg_owner), .seg_iova(seg_iova), .seg_len(seg_len), .seg_idx(seg_idx),
    .seg_first(seg_first), .seg_last(seg_last), .seg_abort(seg_abort), .seg_err(seg_err),
    .seg_csum_ip(seg_csum_ip), .seg_csum_l4(seg_csum_l4), .seg_ndesc(seg_ndesc),
    .stat_descs(stat_descs)
);

nic_tx_desc_fetch #(
    .NUM_VI(NUM_VI), .VI_W(VI_W), .ADDR_WIDTH(ADDR_WIDTH), .DATA_WIDTH(DATA_WIDTH),
    .GEN_W(GEN_W), .OUTSTANDING_LOG2(FETCH_LOG2)
) fetch_inst (
    .clk(clk), .rst(rst),
    .req_valid(freq_valid), .req_ready(freq_ready), .req_vi(freq_vi), .req_gen(freq_gen),
    .req_idx(freq_idx), .req_n(freq_n), .req_iova(freq_iova), .req_owner(freq_owner),
    .fd_valid(fd_valid), .fd_ready(fd_ready), .fd_vi(fd_vi), .fd_gen(fd_gen), .fd_idx(fd_idx),
    .fd_desc(fd_desc), .fd_fault(fd_fault),
    .xlat_req_valid(xd_req_valid), .xlat_req_ready(xd_req_ready), .xlat_req_iova(xd_req_iova),
    .xlat_req_owner(xd_req_owner), .xlat_req_len(xd_req_len),
    .xlat_resp_valid(xd_resp_valid), .xlat_resp_ready(xd_resp_ready),
    .xlat_resp_addr(xd_resp_addr), .xlat_resp_fault(xd_resp_fault),
    .xlat_resp_epoch(xd_resp_epoch), .xlat_ret(xd_ret),
    .m_axi_arid(d_axi_arid), .m_axi_araddr(d_axi_araddr), .m_axi_arlen(d_axi_arlen),
    .m_axi_arsize(d_axi_arsize), .m_axi_arburst(d_axi_arburst), .m_axi_arvalid(d_axi_arvalid),
    .m_axi_arready(d_axi_arready), .m_axi_rdata(d_axi_rdata), .m_axi_rvalid(d_axi_rvalid),
    .m_axi_rready(d_axi_rready)
);

// ------------------------------------------------------------------------------ packet data

wire             trk_valid, trk_ready;
wire [8:0]       trk_beats;
wire [OFF_W-1:0] trk_lo;
wire [12:0]      trk_bytes;
wire             trk_sof, trk_eof, trk_fault, trk_abort, trk_csum_ip, trk_csum_l4;
wire [1:0]       trk_err;
wire [VI_W-1:0]  trk_vi;
wire [GEN_W-1:0] trk_gen;
wire [15:0]      trk_idx;
wire [7:0]       trk_ndesc;
wire             trk_xdone, trk_epoch;
wire [FB_LOG2:0] fb_count;
wire             beat_done;

nic_tx_rd #(
    .VI_W(VI_W), .ADDR_WIDTH(ADDR_WIDTH), .DATA_WIDTH(DATA_WIDTH), .IOVA_W(IOVA_W),
    .GEN_W(GEN_W), .TRK_LOG2(TRK_LOG2), .FB_LOG2(FB_LOG2)
) rd_inst (
    .clk(clk), .rst(rst),
    .seg_valid(seg_valid), .seg_ready(seg_ready), .seg_vi(seg_vi), .seg_gen(seg_gen),
    .seg_owner(seg_owner), .seg_iova(seg_iova), .seg_len(seg_len), .seg_idx(seg_idx),
    .seg_first(seg_first), .seg_last(seg_last), .seg_abort(seg_abort), .seg_err(seg_err),
    .seg_csum_ip(seg_csum_ip), .seg_csum_l4(seg_csum_l4), .seg_ndesc(seg_ndesc),
    .xlat_req_valid(xp_req_valid), .xlat_req_ready(xp_req_ready), .xlat_req_iova(xp_req_iova),
    .xlat_req_owner(xp_req_owner), .xlat_req_len(xp_req_len),
    .xlat_resp_valid(xp_resp_valid), .xlat_resp_ready(xp_resp_ready),
    .xlat_resp_addr(xp_resp_addr), .xlat_resp_fault(xp_resp_fault),
    .xlat_resp_epoch(xp_resp_epoch),
    .m_axi_arid(p_axi_arid), .m_axi_araddr(p_axi_araddr), .m_axi_arlen(p_axi_arlen),
    .m_axi_arsize(p_axi_arsize), .m_axi_arburst(p_axi_arburst), .m_axi_arvalid(p_axi_arvalid),
    .m_axi_arready(p_axi_arready),
    .trk_valid(trk_valid), .trk_ready(trk_ready), .trk_beats(trk_beats), .trk_lo(trk_lo),
    .trk_bytes(trk_bytes), .trk_sof(trk_sof), .trk_eof(trk_eof), .trk_fault(trk_fault),
    .trk_abort(trk_abort), .trk_err(trk_err), .trk_vi(trk_vi), .trk_gen(trk_gen),
    .trk_idx(trk_idx), .trk_csum_ip(trk_csum_ip), .trk_csum_l4(trk_csum_l4),
    .trk_ndesc(trk_ndesc), .trk_xdone(trk_xdone), .trk_epoch(trk_epoch),
    .fb_count(fb_count), .beat_done(beat_done)
);

// a chunk's translation is done with when the aligner has taken its last entry (last R beat)
wire xp_retire = trk_valid && trk_ready && trk_xdone;
assign xp_ret = {7'd0, xp_retire && trk_epoch, 7'd0, xp_retire && !trk_epoch};

wire                  al_valid, al_eof, al_abort, al_csum_ip, al_csum_l4;
wire [DATA_WIDTH-1:0] al_data;
wire [13:0]           al_len;
wire [VI_W-1:0]       al_vi;
wire [GEN_W-1:0]      al_gen;
wire [15:0]           al_idx;
wire [7:0]            al_ndesc;
wire [1:0]            al_err;

nic_tx_align #(
    .NUM_VI(NUM_VI), .VI_W(VI_W), .DATA_WIDTH(DATA_WIDTH), .GEN_W(GEN_W)
) align_inst (
    .clk(clk), .rst(rst),
    .cfg_vi_valid(cfg_vi_valid), .cfg_vi(cfg_vi),
    .trk_valid(trk_valid), .trk_ready(trk_ready), .trk_beats(trk_beats), .trk_lo(trk_lo),
    .trk_bytes(trk_bytes), .trk_sof(trk_sof), .trk_eof(trk_eof), .trk_fault(trk_fault),
    .trk_abort(trk_abort), .trk_err(trk_err), .trk_vi(trk_vi), .trk_gen(trk_gen),
    .trk_idx(trk_idx), .trk_csum_ip(trk_csum_ip), .trk_csum_l4(trk_csum_l4),
    .trk_ndesc(trk_ndesc),
    .m_axi_rdata(p_axi_rdata), .m_axi_rvalid(p_axi_rvalid), .m_axi_rready(p_axi_rready),
    .beat_done(beat_done),
    .o_valid(al_valid), .o_data(al_data), .o_eof(al_eof), .o_abort(al_abort), .o_len(al_len),
    .o_vi(al_vi), .o_gen(al_gen), .o_idx(al_idx), .o_ndesc(al_ndesc),
    .o_csum_ip(al_csum_ip), .o_csum_l4(al_csum_l4), .o_err(al_err),
    .lflt_valid(lflt_valid), .lflt_vi(lflt_vi)
);

wire                  cs_valid, cs_eof, cs_abort, cs_ip_en, cs_l4_en;
wire [DATA_WIDTH-1:0] cs_data;
wire [13:0]           cs_len;
wire [CM_W-1:0]       cs_meta;
wire [15:0]           cs_ip, cs_l4;
wire [6:0]            cs_l4_pos;

nic_tx_csum #(.DATA_WIDTH(DATA_WIDTH), .META_W(CM_W)) csum_inst (
    .clk(clk), .rst(rst),
    .i_valid(al_valid), .i_data(al_data), .i_eof(al_eof), .i_abort(al_abort), .i_len(al_len),
    .i_csum_ip(al_csum_ip), .i_csum_l4(al_csum_l4), .i_meta({al_vi, al_gen, al_idx, al_ndesc, al_err}),
    .o_valid(cs_valid), .o_data(cs_data), .o_eof(cs_eof), .o_abort(cs_abort), .o_len(cs_len),
    .o_meta(cs_meta), .c_ip_en(cs_ip_en), .c_ip(cs_ip), .c_l4_en(cs_l4_en),
    .c_l4_pos(cs_l4_pos), .c_l4(cs_l4)
);

wire                  fb_valid, fb_ready, fb_last;
wire [DATA_WIDTH-1:0] fb_data;
wire [FM_W-1:0]       fb_meta;
wire                  fb_s_ready_unused;

nic_frame_fifo #(
    .DATA_W(DATA_WIDTH), .DEPTH_LOG2(FB_LOG2), .META_W(FM_W), .META_DEPTH_LOG2(FB_LOG2)
) fb_inst (
    .clk(clk), .rst(rst),
    .s_valid(cs_valid), .s_ready(fb_s_ready_unused), .s_data(cs_data), .s_last(cs_eof),
    .s_abort(cs_abort),
    .s_meta({cs_len, cs_meta, cs_ip_en, cs_ip, cs_l4_en, cs_l4_pos, cs_l4}),
    .m_valid(fb_valid), .m_ready(fb_ready), .m_data(fb_data), .m_last(fb_last),
    .m_meta(fb_meta), .count(fb_count)
);

wire [13:0]      f_len;
wire [VI_W-1:0]  f_vi;
wire [GEN_W-1:0] f_gen;
wire [15:0]      f_idx, f_ip, f_l4;
wire [7:0]       f_ndesc;
wire [1:0]       f_err;
wire             f_ip_en, f_l4_en;
wire [6:0]       f_l4_pos;
assign {f_len, f_vi, f_gen, f_idx, f_ndesc, f_err, f_ip_en, f_ip, f_l4_en, f_l4_pos, f_l4} =
    fb_meta;

wire        stat_frame, stat_error, stat_dma_fault;
wire [1:0]  ev_err;
nic_tx_out #(
    .NUM_VI(NUM_VI), .VI_W(VI_W), .DATA_WIDTH(DATA_WIDTH), .GEN_W(GEN_W)
) out_inst (
    .clk(clk), .rst(rst),
    .cfg_vi_valid(cfg_vi_valid), .cfg_vi(cfg_vi),
    .f_valid(fb_valid), .f_ready(fb_ready), .f_data(fb_data), .f_last(fb_last), .f_err(f_err),
    .f_len(f_len),
    .f_vi(f_vi), .f_gen(f_gen), .f_idx(f_idx), .f_ndesc(f_ndesc), .f_ip_en(f_ip_en),
    .f_ip(f_ip), .f_l4_en(f_l4_en), .f_l4_pos(f_l4_pos), .f_l4(f_l4),
    .m_axis_tx_tdata(m_axis_tx_tdata), .m_axis_tx_tkeep(m_axis_tx_tkeep),
    .m_axis_tx_tvalid(m_axis_tx_tvalid), .m_axis_tx_tready(m_axis_tx_tready),
    .m_axis_tx_tlast(m_axis_tx_tlast), .m_axis_tx_tuser(m_axis_tx_tuser),
    .ev_valid(ev_valid), .ev_ready(ev_ready), .ev_vi(ev_vi), .ev_err(ev_err),
    .ev_index(ev_index),
    .ev_len(ev_len), .ev_ndesc(ev_ndesc), .ev_gen(ev_gen),
    .sts_vi(sts_vi), .sts_tx_cons(sts_tx_cons),
    .stat_frame(stat_frame), .stat_bytes(stat_bytes), .stat_error(stat_error),
    .stat_dma_fault(stat_dma_fault)
);

assign ev_type = (ev_err == 2'd0) ? EV_TYPE_TX[3:0] : EV_TYPE_ERROR[3:0];
assign ev_code = (ev_err == 2'd1) ? ERR_TX_BAD_DESC[7:0] :
                 (ev_err == 2'd2) ? ERR_TX_DESC_FAULT[7:0] :
                 (ev_err == 2'd3) ? ERR_TX_READ_FAULT[7:0] : 8'd0;
assign ev_reserved = ev_err == 2'd0;

reg [31:0] stat_vec;
always @* begin
    stat_vec = 32'd0;
    stat_vec[STAT_TX_FRAMES] = stat_frame;
    stat_vec[STAT_TX_BYTES] = stat_frame;
    stat_vec[STAT_TX_DESCS] = stat_descs;
    stat_vec[STAT_TX_ERRORS] = stat_error;
    stat_vec[STAT_DMA_FAULTS] = stat_dma_fault;
end
assign stat_inc = stat_vec;

wire unused_ok = &{1'b0, fb_s_ready_unused};

endmodule

`default_nettype wire
