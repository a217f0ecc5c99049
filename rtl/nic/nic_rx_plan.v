// nic_rx_plan: RX frame planning - descriptors, event reservation, page translation.
//
// Frames (steered metadata from nic_filter, in wire order) go through, in order:
//   P0  walk the target VI's descriptors (nic_rx_desc_fetch walk port, no consumption),
//       speculatively after those claimed by the VI's earlier pending frames; walk OK: reserve
//       an event (rsv_req_*, in frame order, one outstanding per VI); else a drop token.
//   P1  in order, with the reservation responses: OK -> commit the descriptors (consume) and
//       pass a DELIVER token; failed -> drop token EVQ_FULL (no descriptor consumed), and the
//       VI's later pending frames are dropped as EVQ_FULL too (their walks assumed this one).
//   CG  chunk generator: splits each used buffer into chunks that neither cross a 4 KiB page
//       nor a 256-beat burst boundary, one per cycle, and sends each to the translate port with
//       the VI's owner (drop tokens discard their walked descriptors and pass a marker).
//   XC  translate responses (in order): translated chunks go to the chunk queue (m_chunk_*);
//       after a frame's last chunk its verdict goes to the verdict queue (m_verd_*): DELIVER
//       when every chunk translated, else FAULT (a write-fault request is raised once, with the
//       ring index of the refused buffer, and the writer discards the frame's chunks). Frames
//       of that VI walked before the fault stopped its walks are discarded the same way (no
//       second fault), until its next configuration commit: nothing is written or completed
//       for a VI after its fault.
// Drop verdicts are counted here (stat_drop_*), one frame per cycle at most.
`timescale 1ns / 1ps
`default_nettype none

module nic_rx_plan #(
    parameter integer DATA_WIDTH = 512,
    parameter integer ADDR_WIDTH = 48,
    parameter integer NUM_VI = 16,
    parameter integer VI_W = $clog2(NUM_VI),
    parameter integer PEND_LOG2 = 2          // frames awaiting a reservation response, log2
) (
    input  wire                    clk,
    input  wire                    rst,

    // a configuration commit of VI cfg_vi (it forgets the VI's write fault)
    input  wire                    cfg_vi_valid,
    input  wire [VI_W-1:0]         cfg_vi,

    // steered frames
    input  wire                    s_valid,
    output wire                    s_ready,
    input  wire [VI_W-1:0]         s_vi,
    input  wire [15:0]             s_len,
    input  wire [7:0]              s_flags,     // RXF_FILTER_HIT already merged in
    input  wire [15:0]             s_filter,

    // walk port of nic_rx_desc_fetch
    output wire                    walk_req_valid,
    input  wire                    walk_req_ready,
    output wire [VI_W-1:0]         walk_req_vi,
    output wire [15:0]             walk_req_len,
    output wire [7:0]              walk_req_skip,
    input  wire                    walk_desc_valid,
    output wire                    walk_desc_ready,
    input  wire [63:0]             walk_desc_addr,
    input  wire [15:0]             walk_desc_len,
    input  wire [15:0]             walk_desc_idx,
    input  wire                    walk_resp_valid,
    output wire                    walk_resp_ready,
    input  wire [1:0]              walk_resp_status,
    input  wire [15:0]             walk_resp_idx,
    input  wire [7:0]              walk_resp_ndesc,
    input  wire [15:0]             walk_resp_owner,
    input  wire [1:0]              walk_resp_epoch,
    output wire                    commit_valid,
    input  wire                    commit_ready,
    output wire [VI_W-1:0]         commit_vi,
    output wire [7:0]              commit_n,
    output wire [1:0]              commit_epoch,
    input  wire                    commit_epoch_ok,

    // event reservation
    output wire                    rsv_req_valid,
    input  wire                    rsv_req_ready,
    output wire [VI_W-1:0]         rsv_req_vi,
    input  wire                    rsv_resp_valid,
    input  wire                    rsv_resp_ok,

    // translate port
    output wire                    xlat_req_valid,
    input  wire                    xlat_req_ready,
    output wire [63:0]             xlat_req_iova,
    output wire [15:0]             xlat_req_owner,
    output wire [15:0]             xlat_req_len,
    input  wire                    xlat_resp_valid,
    output wire                    xlat_resp_ready,
    input  wire [ADDR_WIDTH-1:0]   xlat_resp_addr,
    input  wire                    xlat_resp_fault,
    input  wire                    xlat_resp_epoch,

    // write-fault requests
    output wire                    wflt_valid,
    input  wire                    wflt_ready,
    output wire [VI_W-1:0]         wflt_vi,
    output wire [15:0]             wflt_index,
    output wire [1:0]              wflt_epoch,

    // chunks: physical address, frame offset, length, last chunk of the frame
    output wire                    m_chunk_valid,
    input  wire                    m_chunk_ready,
    output wire [ADDR_WIDTH-1:0]   m_chunk_addr,
    output wire [15:0]             m_chunk_off,
    output wire [12:0]             m_chunk_len,
    output wire                    m_chunk_last,
    output wire                    m_chunk_epoch,   // DMA-fence epoch of its translation

    // verdicts, one per frame in order
    output wire                    m_verd_valid,
    input  wire                    m_verd_ready,
    output wire                    m_verd_deliver,
    output wire [7:0]              m_verd_nchunks,   // chunks queued for the frame
    output wire [VI_W-1:0]         m_verd_vi,
    output wire [15:0]             m_verd_len,
    output wire [7:0]              m_verd_flags,
    output wire [15:0]             m_verd_filter,
    output wire [15:0]             m_verd_index,
    output wire [7:0]              m_verd_ndesc,
    output wire [1:0]              m_verd_epoch,     // the VI epoch the frame was walked in

    output wire                    stat_drop_no_desc,
    output wire                    stat_drop_evq_full,
    output wire                    stat_drop_fault
);

localparam integer BYTES = DATA_WIDTH / 8;
localparam integer BOUND = (BYTES * 256 < 4096) ? BYTES * 256 : 4096;  // chunk boundary
localparam integer BOUND_LOG2 = $clog2(BOUND);
localparam integer PEND = 1 << PEND_LOG2;

/* verilator lint_off PINCONNECTEMPTY */
localparam [1:0] ST_OK = 2'd0, ST_FAULT = 2'd2;   // walk status (1 NO_DESC, 3 DISABLED)
// token kinds
localparam [1:0] TK_DELIVER = 2'd0, TK_NO_DESC = 2'd1, TK_FAULT = 2'd2, TK_EVQ_FULL = 2'd3;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0) begin
        $error("nic_rx_plan: DATA_WIDTH must be a power of two in 64..512");
        $finish;
    end
    if (PEND_LOG2 < 1 || PEND_LOG2 > 4 || (1 << VI_W) < NUM_VI) begin
        $error("nic_rx_plan: need PEND_LOG2 in 1..4 and VI_W wide enough for NUM_VI");
        $finish;
    end
end

// frame info carried along: vi, epoch, owner, len, flags, filter, first index, ndesc
localparam integer FI_W = VI_W + 2 + 16 + 16 + 8 + 16 + 16 + 8;

// ------------------------------------------------------------------ P0: walk
// Frames are walked back to back, speculatively: a frame's walk starts after the descriptors
// claimed by the earlier frames of its VI still pending (walk_req_skip). Reservations are
// requested in frame order, at most one outstanding per VI; when one fails, every later
// pending frame of that VI (whose walk assumed the failed frame would consume) is dropped as
// EVQ_FULL without a reservation, so no reservation is ever left unused and descriptors are
// consumed strictly in ring order.
reg             p0_wait_reg;        // walk requested, waiting for its response
reg             p0_poison_reg;      // a reservation of the walked frame's VI failed meanwhile
reg [VI_W-1:0]  p0_vi_reg;
reg [15:0]      p0_len_reg;
reg [7:0]       p0_flags_reg;
reg [15:0]      p0_filter_reg;

// pending frames (walked, not yet passed to CG): a small register queue, searched in parallel
reg [PEND-1:0]       pq_valid_reg;
reg [PEND-1:0]       pq_need_reg;           // reservation to request
reg [PEND-1:0]       pq_sent_reg;           // reservation requested, response pending
reg [VI_W-1:0]       pq_vi_reg   [0:PEND-1];
reg [7:0]            pq_nd_reg   [0:PEND-1];
reg [1:0]            pq_kind_reg [0:PEND-1];
reg [FI_W-1:0]       pq_info_reg [0:PEND-1];
reg [PEND_LOG2-1:0]  pq_wr_reg, pq_rd_reg, pq_rs_reg;
reg [PEND_LOG2:0]    pq_count_reg;
reg [PEND_LOG2:0]    pq_rs_left_reg;        // entries the reservation pointer has not passed

wire pq_full = pq_count_reg == PEND[PEND_LOG2:0];
wire wr_ok = walk_resp_status == ST_OK;
wire p0_resp = p0_wait_reg && walk_resp_valid;
wire p0_done = p0_resp && !pq_full;
assign walk_resp_ready = p0_done;

// P1 head (declared here: the poison it raises affects P0 and the queue)
wire                 tok_s_ready;
wire                 rr_valid;
wire                 rr_ok;
wire                 h_valid = pq_valid_reg[pq_rd_reg];
wire                 h_need = pq_need_reg[pq_rd_reg];
wire                 h_sent = pq_sent_reg[pq_rd_reg];
wire [VI_W-1:0]      h_vi = pq_vi_reg[pq_rd_reg];
wire [FI_W-1:0]      h_info = pq_info_reg[pq_rd_reg];
wire [1:0]           h_kind = pq_kind_reg[pq_rd_reg];
wire [1:0]           h_epoch = h_info[FI_W-1-VI_W -: 2];
wire [7:0]           h_ndesc = h_info[7:0];
// the head can go when it needs no reservation, or its answer is there (and, if OK, the
// descriptors can be committed)
wire h_can = h_valid && !h_need && tok_s_ready &&
             (!h_sent || (rr_valid && (!rr_ok || commit_ready)));
wire poison = h_can && h_sent && !rr_ok;     // reservation failed for VI h_vi

// descriptors claimed by pending frames of the VI about to be walked
reg [7:0] skip;
integer pi;
always @* begin
    skip = 8'd0;
    for (pi = 0; pi < PEND; pi = pi + 1) begin
        if (pq_valid_reg[pi] && (pq_need_reg[pi] || pq_sent_reg[pi]) && pq_vi_reg[pi] == s_vi &&
            !(poison && pq_vi_reg[pi] == h_vi)) begin
            skip = skip + pq_nd_reg[pi];
        end
    end
    // the frame whose walk completes this cycle
    if (p0_done && wr_ok && !p0_poison_reg && p0_vi_reg == s_vi &&
        !(poison && h_vi == p0_vi_reg)) begin
        skip = skip + walk_resp_ndesc;
    end
end

// a new walk may start as the previous one completes (its skip is counted above)
wire p0_free = !p0_wait_reg || p0_done;
wire p0_poison_now = p0_poison_reg || (poison && h_vi == p0_vi_reg);
assign walk_req_valid = s_valid && p0_free && !(poison && h_vi == s_vi);
assign walk_req_vi = s_vi;
assign walk_req_len = s_len;
assign walk_req_skip = skip;
assign s_ready = walk_req_ready && p0_free && !(poison && h_vi == s_vi);
wire p0_start = s_valid && s_ready;

// the frame's kind: a failed walk keeps its reason; a poisoned good walk becomes EVQ_FULL
wire [1:0] p0_kind = !wr_ok ? ((walk_resp_status == ST_FAULT) ? TK_FAULT : TK_NO_DESC) :
                     p0_poison_now ? TK_EVQ_FULL : TK_DELIVER;
wire p0_need = wr_ok && !p0_poison_now;
wire [FI_W-1:0] p0_info = {p0_vi_reg, walk_resp_epoch, walk_resp_owner, p0_len_reg,
                           p0_flags_reg, p0_filter_reg, walk_resp_idx, walk_resp_ndesc};

// reservation requests, in queue order, one outstanding per VI
wire            rs_valid = pq_rs_left_reg != {(PEND_LOG2+1){1'b0}};
wire            rs_need = pq_need_reg[pq_rs_reg];
wire [VI_W-1:0] rs_vi = pq_vi_reg[pq_rs_reg];
reg rs_blocked;
integer bi;
always @* begin
    rs_blocked = 1'b0;
    for (bi = 0; bi < PEND; bi = bi + 1) begin
        if (pq_valid_reg[bi] && pq_sent_reg[bi] && pq_vi_reg[bi] == rs_vi) begin
            rs_blocked = 1'b1;
        end
    end
end
// an entry that needs no reservation (or was poisoned) is stepped over
wire rs_skip = rs_valid && !rs_need;
assign rsv_req_valid = rs_valid && rs_need && !rs_blocked && !(poison && h_vi == rs_vi);
assign rsv_req_vi = rs_vi;
wire rs_fire = rsv_req_valid && rsv_req_ready;

// ------------------------------------------------------------------ P1: reservation results
wire rr_pop;
nic_fifo #(.WIDTH(1), .DEPTH_LOG2(PEND_LOG2)) rsv_resp_fifo (
    .clk(clk), .rst(rst),
    .s_data(rsv_resp_ok), .s_valid(rsv_resp_valid), .s_ready(),
    .m_data(rr_ok), .m_valid(rr_valid), .m_ready(rr_pop),
    .count()
);

assign rr_pop = h_can && h_sent;
assign commit_valid = h_valid && h_sent && rr_valid && rr_ok && tok_s_ready;
assign commit_vi = h_vi;
assign commit_n = h_ndesc;
assign commit_epoch = h_epoch;
// a VI reconfigured since its walk: the walked descriptors are stale, nothing is consumed
wire [1:0] h_tok_kind = (h_sent && !rr_ok) ? TK_EVQ_FULL :
                        (h_sent && !commit_epoch_ok) ? TK_NO_DESC : h_kind;

integer qi;
always @(posedge clk) begin
    if (p0_start) begin
        p0_vi_reg <= s_vi;
        p0_len_reg <= s_len;
        p0_flags_reg <= s_flags;
        p0_filter_reg <= s_filter;
    end
    if (p0_done) begin
        pq_vi_reg[pq_wr_reg] <= p0_vi_reg;
        pq_nd_reg[pq_wr_reg] <= walk_resp_ndesc;
        pq_kind_reg[pq_wr_reg] <= p0_kind;
        pq_info_reg[pq_wr_reg] <= p0_info;
    end
    // poison: later pending frames of the VI lose their (not yet requested) reservation
    if (poison) begin
        for (qi = 0; qi < PEND; qi = qi + 1) begin
            if (pq_valid_reg[qi] && pq_need_reg[qi] && pq_vi_reg[qi] == h_vi) begin
                pq_kind_reg[qi] <= TK_EVQ_FULL;
            end
        end
    end
    if (rst) begin
        p0_wait_reg <= 1'b0;
        p0_poison_reg <= 1'b0;
        pq_valid_reg <= {PEND{1'b0}};
        pq_need_reg <= {PEND{1'b0}};
        pq_sent_reg <= {PEND{1'b0}};
        pq_wr_reg <= {PEND_LOG2{1'b0}};
        pq_rd_reg <= {PEND_LOG2{1'b0}};
        pq_rs_reg <= {PEND_LOG2{1'b0}};
        pq_count_reg <= {(PEND_LOG2+1){1'b0}};
        pq_rs_left_reg <= {(PEND_LOG2+1){1'b0}};
    end else begin
        if (p0_start) begin
            p0_wait_reg <= 1'b1;
            p0_poison_reg <= 1'b0;
        end else if (p0_done) begin
            p0_wait_reg <= 1'b0;
        end else if (poison && h_vi == p0_vi_reg) begin
            p0_poison_reg <= 1'b1;
        end
        if (poison) begin
            for (qi = 0; qi < PEND; qi = qi + 1) begin
                if (pq_valid_reg[qi] && pq_vi_reg[qi] == h_vi) begin
                    pq_need_reg[qi] <= 1'b0;
                end
            end
        end
        if (rs_fire) begin
            pq_need_reg[pq_rs_reg] <= 1'b0;
            pq_sent_reg[pq_rs_reg] <= 1'b1;
        end
        if (rs_fire || rs_skip) begin
            pq_rs_reg <= pq_rs_reg + 1'b1;
        end
        if (p0_done) begin
            pq_valid_reg[pq_wr_reg] <= 1'b1;
            pq_need_reg[pq_wr_reg] <= p0_need;
            pq_sent_reg[pq_wr_reg] <= 1'b0;
            pq_wr_reg <= pq_wr_reg + 1'b1;
        end
        if (h_can) begin
            pq_valid_reg[pq_rd_reg] <= 1'b0;
            pq_sent_reg[pq_rd_reg] <= 1'b0;
            pq_rd_reg <= pq_rd_reg + 1'b1;
        end
        pq_count_reg <= pq_count_reg + {{PEND_LOG2{1'b0}}, p0_done} - {{PEND_LOG2{1'b0}}, h_can};
        pq_rs_left_reg <= pq_rs_left_reg + {{PEND_LOG2{1'b0}}, p0_done}
                        - {{PEND_LOG2{1'b0}}, rs_fire || rs_skip};
    end
end

// ------------------------------------------------------------------ tokens -> CG
wire [1:0]       tk_kind;
wire [FI_W-1:0]  tk_info;
wire             tk_valid;
wire             tk_pop;
nic_fifo #(.WIDTH(2 + FI_W), .DEPTH_LOG2(2)) tok_fifo (
    .clk(clk), .rst(rst),
    .s_data({h_tok_kind, h_info}), .s_valid(h_can), .s_ready(tok_s_ready),
    .m_data({tk_kind, tk_info}), .m_valid(tk_valid), .m_ready(tk_pop),
    .count()
);

wire [15:0] tk_owner = tk_info[FI_W-1-VI_W-2 -: 16];
wire [7:0]  tk_ndesc = tk_info[7:0];

// walked descriptors, in order (room for two frames' worth of a full cache)
wire             wd_valid;
wire [63:0]      wd_addr;
wire [15:0]      wd_len;
wire [15:0]      wd_idx;
wire             wd_pop;
wire             wd_s_ready;
nic_fifo #(.WIDTH(96), .DEPTH_LOG2(6)) wdesc_fifo (
    .clk(clk), .rst(rst),
    .s_data({walk_desc_addr, walk_desc_len, walk_desc_idx}), .s_valid(walk_desc_valid),
    .s_ready(wd_s_ready),
    .m_data({wd_addr, wd_len, wd_idx}), .m_valid(wd_valid), .m_ready(wd_pop),
    .count()
);
assign walk_desc_ready = wd_s_ready;

// ------------------------------------------------------------------ CG: chunks
// XPF record: marker (drop frame, no translation), frame offset, length, ring index, last
localparam integer XP_W = 1 + 16 + 13 + 16 + 1;

reg             cg_busy_reg;        // inside a token
reg [7:0]       cg_left_reg;        // descriptors of the token still to take
reg [15:0]      cg_off_reg;         // frame offset of the next chunk
reg             cg_in_desc_reg;     // part of the head descriptor already chunked
reg             cg_fi_done_reg;     // the token's frame info is queued
reg [63:0]      cg_iova_reg;
reg [15:0]      cg_rem_reg;

wire xpf_s_ready;
wire fi_s_ready;

wire [7:0]  cg_left = cg_busy_reg ? cg_left_reg : tk_ndesc;
wire [63:0] cg_iova = cg_in_desc_reg ? cg_iova_reg : wd_addr;
wire [15:0] cg_rem = cg_in_desc_reg ? cg_rem_reg : wd_len;
wire [BOUND_LOG2:0] cg_room = BOUND[BOUND_LOG2:0] - {1'b0, cg_iova[BOUND_LOG2-1:0]};
wire [15:0] cg_clen = ({{(15-BOUND_LOG2){1'b0}}, cg_room} < cg_rem) ?
                      {{(15-BOUND_LOG2){1'b0}}, cg_room} : cg_rem;
wire cg_desc_end = cg_clen == cg_rem;          // this chunk finishes the descriptor
wire cg_tok_end = cg_desc_end && cg_left == 8'd1;
wire cg_deliver = tk_kind == TK_DELIVER;

// per cycle: drop token: discard one descriptor (or finish); deliver: one chunk
wire cg_drop_done = tk_valid && !cg_deliver && cg_left == 8'd0;
wire cg_drop_disc = tk_valid && !cg_deliver && cg_left != 8'd0 && wd_valid;
wire cg_zero = tk_valid && cg_deliver && wd_valid && !cg_in_desc_reg && wd_len == 16'd0 &&
               cg_left != 8'd1;
wire cg_chunk = tk_valid && cg_deliver && wd_valid && !cg_zero && xlat_req_ready &&
                xpf_s_ready && (fi_s_ready || cg_fi_done_reg);
wire cg_marker = cg_drop_done && xpf_s_ready && fi_s_ready;

assign xlat_req_valid = tk_valid && cg_deliver && wd_valid && !cg_zero && xpf_s_ready &&
                        (fi_s_ready || cg_fi_done_reg);
assign xlat_req_iova = cg_iova;
assign xlat_req_owner = tk_owner;
assign xlat_req_len = cg_clen;

assign wd_pop = cg_drop_disc || cg_zero || (cg_chunk && cg_desc_end);
assign tk_pop = cg_marker || (cg_chunk && cg_tok_end);

wire xpf_push = cg_chunk || cg_marker;
wire [XP_W-1:0] xpf_s_data = {cg_marker, cg_off_reg, cg_clen[12:0], wd_idx,
                              cg_marker || cg_tok_end};
wire fi_push = (cg_chunk || cg_marker) && !cg_fi_done_reg;
wire [1:0] fi_kind = tk_kind;

always @(posedge clk) begin
    if (rst) begin
        cg_busy_reg <= 1'b0;
        cg_in_desc_reg <= 1'b0;
        cg_fi_done_reg <= 1'b0;
        cg_off_reg <= 16'd0;
        cg_left_reg <= 8'd0;
    end else begin
        if (tk_pop) begin
            cg_fi_done_reg <= 1'b0;
        end else if (fi_push) begin
            cg_fi_done_reg <= 1'b1;
        end
        if (tk_pop) begin
            cg_busy_reg <= 1'b0;
            cg_in_desc_reg <= 1'b0;
            cg_off_reg <= 16'd0;
        end else if (cg_chunk || cg_drop_disc || cg_zero) begin
            cg_busy_reg <= 1'b1;
            cg_left_reg <= (cg_drop_disc || cg_zero || cg_desc_end) ? cg_left - 8'd1 : cg_left;
            if (cg_chunk) begin
                cg_off_reg <= cg_off_reg + cg_clen;
                cg_in_desc_reg <= !cg_desc_end;
                cg_iova_reg <= cg_iova + {48'd0, cg_clen};
                cg_rem_reg <= cg_rem - cg_clen;
            end
        end
    end
end

// frame info for XC (one per token)
wire [1:0]      fi_m_kind;
wire [FI_W-1:0] fi_m_info;
wire            fi_m_valid;
wire            fi_pop;
nic_fifo #(.WIDTH(2 + FI_W), .DEPTH_LOG2(3)) finfo_fifo (
    .clk(clk), .rst(rst),
    .s_data({fi_kind, tk_info}), .s_valid(fi_push), .s_ready(fi_s_ready),
    .m_data({fi_m_kind, fi_m_info}), .m_valid(fi_m_valid), .m_ready(fi_pop),
    .count()
);

wire [XP_W-1:0] xp_m_data;
wire            xp_m_valid;
wire            xp_pop;
nic_fifo #(.WIDTH(XP_W), .DEPTH_LOG2(3)) xpf_fifo (
    .clk(clk), .rst(rst),
    .s_data(xpf_s_data), .s_valid(xpf_push), .s_ready(xpf_s_ready),
    .m_data(xp_m_data), .m_valid(xp_m_valid), .m_ready(xp_pop),
    .count()
);

// ------------------------------------------------------------------ XC: translate responses
wire        xp_marker = xp_m_data[XP_W-1];
wire [15:0] xp_off = xp_m_data[XP_W-2 -: 16];
wire [12:0] xp_len = xp_m_data[XP_W-18 -: 13];
wire [15:0] xp_idx = xp_m_data[16:1];
wire        xp_last = xp_m_data[0];

reg        xc_fault_reg;     // a chunk of the current frame faulted
reg [7:0]  xc_nch_reg;       // chunks of the current frame queued so far

wire chunk_s_ready;
wire verd_s_ready;
reg  wflt_valid_reg;
reg  [VI_W-1:0] wflt_vi_reg;
reg  [15:0] wflt_index_reg;
reg  [1:0]  wflt_epoch_reg;
assign wflt_epoch = wflt_epoch_reg;
wire wflt_free = !wflt_valid_reg || wflt_ready;

// a VI whose frame faulted here: its later frames of that epoch are discarded
reg  [NUM_VI-1:0]   broken_reg;
reg  [2*NUM_VI-1:0] broken_ep_reg;
wire [VI_W-1:0] fi_vi = fi_m_info[FI_W-1 -: VI_W];
wire [1:0]      fi_ep = fi_m_info[FI_W-1-VI_W -: 2];
wire xc_broken = broken_reg[fi_vi] && broken_ep_reg[fi_vi*2 +: 2] == fi_ep;

wire xc_new_fault = !xp_marker && xlat_resp_fault && !xc_fault_reg && !xc_broken;
wire xc_go = xp_m_valid && fi_m_valid && (xp_marker || xlat_resp_valid) &&
             (xp_marker || chunk_s_ready) && (!xp_last || verd_s_ready) &&
             (!xc_new_fault || wflt_free);
assign xp_pop = xc_go;
assign xlat_resp_ready = xc_go && !xp_marker;
assign fi_pop = xc_go && xp_last;
wire chunk_push = xc_go && !xp_marker;
wire verd_push = xc_go && xp_last;
wire xc_faulted = xc_fault_reg || xc_broken || (!xp_marker && xlat_resp_fault);
wire [7:0] xc_nch = xc_nch_reg + {7'd0, chunk_push};

// holds every chunk of a frame (the writer starts a frame only after its verdict): at most
// 2 per descriptor plus one per BOUND of frame, i.e. < 2*32 + 9216/2048 + 1 for 32 descriptors
nic_rx_fifo #(.WIDTH(1 + ADDR_WIDTH + 16 + 13 + 1), .DEPTH_LOG2(7)) chunk_fifo (
    .clk(clk), .rst(rst),
    .s_data({xlat_resp_epoch, xlat_resp_addr, xp_off, xp_len, xp_last}), .s_valid(chunk_push),
    .s_ready(chunk_s_ready),
    .m_data({m_chunk_epoch, m_chunk_addr, m_chunk_off, m_chunk_len, m_chunk_last}),
    .m_valid(m_chunk_valid),
    .m_ready(m_chunk_ready),
    .count()
);

wire verd_deliver = fi_m_kind == TK_DELIVER && !xc_faulted;
wire [FI_W-VI_W-2-16-1:0] fi_tail = fi_m_info[FI_W-VI_W-2-16-1:0];   // len..ndesc
nic_fifo #(.WIDTH(1 + 8 + VI_W + 2 + FI_W-VI_W-2-16), .DEPTH_LOG2(3)) verd_fifo (
    .clk(clk), .rst(rst),
    .s_data({verd_deliver, xc_nch, fi_m_info[FI_W-1 -: VI_W + 2], fi_tail}),
    .s_valid(verd_push), .s_ready(verd_s_ready),
    .m_data({m_verd_deliver, m_verd_nchunks, m_verd_vi, m_verd_epoch, m_verd_len,
             m_verd_flags, m_verd_filter, m_verd_index, m_verd_ndesc}),
    .m_valid(m_verd_valid), .m_ready(m_verd_ready),
    .count()
);

reg st_no_desc_reg, st_evq_reg, st_fault_reg;

always @(posedge clk) begin
    if (xc_go && xc_new_fault) begin
        wflt_vi_reg <= fi_vi;
        wflt_epoch_reg <= fi_ep;
        wflt_index_reg <= xp_idx;
    end
    if (verd_push && fi_m_kind == TK_DELIVER && xc_faulted) begin
        broken_ep_reg[fi_vi*2 +: 2] <= fi_ep;
    end
    if (rst) begin
        xc_fault_reg <= 1'b0;
        xc_nch_reg <= 8'd0;
        broken_reg <= {NUM_VI{1'b0}};
        wflt_valid_reg <= 1'b0;
        st_no_desc_reg <= 1'b0;
        st_evq_reg <= 1'b0;
        st_fault_reg <= 1'b0;
    end else begin
        if (xc_go) begin
            xc_fault_reg <= xp_last ? 1'b0 : xc_faulted;
            xc_nch_reg <= xp_last ? 8'd0 : xc_nch;
        end
        if (verd_push && fi_m_kind == TK_DELIVER && xc_faulted) begin
            broken_reg[fi_vi] <= 1'b1;
        end
        if (cfg_vi_valid) begin  // after the set: a commit wins
            broken_reg[cfg_vi] <= 1'b0;
        end
        if (xc_go && xc_new_fault) begin
            wflt_valid_reg <= 1'b1;
        end else if (wflt_ready) begin
            wflt_valid_reg <= 1'b0;
        end
        st_no_desc_reg <= verd_push && fi_m_kind == TK_NO_DESC;
        st_evq_reg <= verd_push && fi_m_kind == TK_EVQ_FULL;
        st_fault_reg <= verd_push && (fi_m_kind == TK_FAULT ||
                                      (fi_m_kind == TK_DELIVER && xc_faulted));
    end
end

assign wflt_valid = wflt_valid_reg;
assign wflt_vi = wflt_vi_reg;
assign wflt_index = wflt_index_reg;
assign stat_drop_no_desc = st_no_desc_reg;
assign stat_drop_evq_full = st_evq_reg;
assign stat_drop_fault = st_fault_reg;

/* verilator lint_off UNUSEDSIGNAL */
wire unused_ok = |{cg_room[BOUND_LOG2], cg_clen[15:13], fi_m_info[FI_W-VI_W-2-1 -: 16]};
/* verilator lint_on UNUSEDSIGNAL */

/* verilator lint_on PINCONNECTEMPTY */

endmodule

`default_nettype wire
