// nic_tx_desc: TX descriptor manager - VI scheduler, per-VI descriptor cache, frame dispatcher.
//
// Scheduler: round-robin over VIs whose "fetch pending" bit is set (TX doorbell, cache space
// freed). For the picked VI it requests a batch of n descriptors from nic_tx_desc_fetch,
//   n = min(posted, free cache slots, to ring end, to 4 KiB page end, BATCH),
// and advances the VI's fetch pointer; a VI with nothing to fetch drops its pending bit.
// Several batches (of several VIs) may be in flight; they land in a per-VI descriptor cache of
// 2^CACHE_LOG2 slots (slot = ring index mod cache size).
//
// Cache writer: checks every landed descriptor of the current frame (length > 0, frame length
// <= TX_MAX_FRAME, at most 2^CACHE_LOG2 descriptors per frame). A bad descriptor, or a refused
// descriptor fetch (fd_fault), is stored as an error marker that also ends the frame, so faults
// are met in ring order: every frame posted before it is still sent.
//
// Dispatcher: round-robin over VIs holding at least one complete frame (EOP landed). It reserves
// the frame's completion event (nic_evq, rsv_*), then sends the frame's descriptors back to back
// as segments (seg_*) to the packet reader, so one VI's frame is always contiguous. A failed
// reservation blocks the VI until its next EVQ_READ doorbell (other VIs go on). Reaching an error
// marker, it faults the VI and closes the frame with an abort segment carrying the error
// (seg_err: ERR_TX_BAD_DESC / ERR_TX_DESC_FAULT, seg_idx = the descriptor's index); the error
// travels down the pipeline so that its event comes after the completions of earlier frames. A
// VI holding a partial frame after everything posted has landed (doorbell rung mid-frame) gets
// the same treatment with ERR_TX_BAD_DESC and the index of the last posted descriptor. If the VI
// is re-committed while its frame is being sent, the frame is closed with a plain abort.
//
// Per-VI state lives in RAMs indexed by VI; the generation number (bumped by every commit) tags
// work in flight so that later stages drop work of an earlier configuration.
`timescale 1ns / 1ps
`default_nettype none

module nic_tx_desc #(
    parameter integer NUM_VI = 16,
    parameter integer VI_W = $clog2(NUM_VI),
    parameter integer IOVA_W = 24,       // IOVA bits covered by the buffer table
    parameter integer CACHE_LOG2 = 6,    // descriptor cache slots per VI, log2
    parameter integer BATCH = 16,        // most descriptors per fetch
    parameter integer GEN_W = 4
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire                  cfg_vi_valid,
    input  wire [VI_W-1:0]       cfg_vi,
    input  wire                  cfg_vi_enable,
    input  wire [15:0]           cfg_vi_owner,
    input  wire [63:0]           cfg_vi_txq_base,
    input  wire [3:0]            cfg_vi_txq_log2,
    input  wire                  db_valid,
    input  wire [VI_W-1:0]       db_vi,
    input  wire [1:0]            db_kind,
    input  wire [31:0]           db_value,
    input  wire                  ctrl_tx_enable,

    // faults: broadcast (any source) and the packet-read fault found by nic_tx_align
    input  wire                  flt_valid,
    input  wire [VI_W-1:0]       flt_vi,
    input  wire                  lflt_valid,
    input  wire [VI_W-1:0]       lflt_vi,

    // descriptor fetch requests
    output reg                   freq_valid,
    input  wire                  freq_ready,
    output reg  [VI_W-1:0]       freq_vi,
    output reg  [GEN_W-1:0]      freq_gen,
    output reg  [15:0]           freq_idx,
    output reg  [7:0]            freq_n,
    output reg  [63:0]           freq_iova,
    output reg  [15:0]           freq_owner,

    // fetched descriptors
    input  wire                  fd_valid,
    output wire                  fd_ready,
    input  wire [VI_W-1:0]       fd_vi,
    input  wire [GEN_W-1:0]      fd_gen,
    input  wire [15:0]           fd_idx,
    input  wire [127:0]          fd_desc,
    input  wire                  fd_fault,    // the batch's fetch was refused

    // event reservation (one per frame)
    output wire                  rsv_req_valid,
    input  wire                  rsv_req_ready,
    output wire [VI_W-1:0]       rsv_req_vi,
    input  wire                  rsv_resp_valid,
    input  wire                  rsv_resp_ok,

    // segments to the packet reader
    output reg                   seg_valid,
    input  wire                  seg_ready,
    output reg  [VI_W-1:0]       seg_vi,
    output reg  [GEN_W-1:0]      seg_gen,
    output reg  [15:0]           seg_owner,
    output reg  [IOVA_W:0]       seg_iova,    // bit IOVA_W set: beyond the buffer table
    output reg  [15:0]           seg_len,
    output reg  [15:0]           seg_idx,     // ring index of the descriptor
    output reg                   seg_first,
    output reg                   seg_last,
    output reg                   seg_abort,   // close the frame, drop it
    output reg  [1:0]            seg_err,     // with abort: 0 none, 1 bad descriptor, 2 fetch fault
    output reg                   seg_csum_ip,
    output reg                   seg_csum_l4,
    output reg  [7:0]            seg_ndesc,   // descriptors of the frame so far

    output reg                   stat_descs
);

/* verilator lint_off UNUSEDPARAM */  // generated header: only some constants are used here
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam integer DEPTH = 1 << CACHE_LOG2;
localparam integer E_W = IOVA_W + 1 + 16 + 5;   // cache entry {err, cl4, cip, eop, len, iova}
localparam [1:0] E_OK = 2'd0, E_BAD = 2'd1, E_FETCH = 2'd2;
localparam integer DEPTH_M1 = DEPTH - 1;
localparam [7:0] ND_MAX = DEPTH_M1[7:0];
localparam [16:0] DEPTH17 = DEPTH[16:0];
localparam [16:0] BATCH17 = BATCH[16:0];
localparam [16:0] MAX_FRAME17 = TX_MAX_FRAME[16:0];

localparam [1:0] D_PICK = 2'd0, D_RSV = 2'd1, D_WAIT = 2'd2, D_SEND = 2'd3;

initial begin
    if (NUM_VI < 2 || (1 << VI_W) < NUM_VI || IOVA_W < 13 || IOVA_W > 60 || CACHE_LOG2 < 2 ||
            CACHE_LOG2 > 7 || BATCH < 1 || BATCH > DEPTH || BATCH > 255 || GEN_W < 1) begin
        $error("nic_tx_desc: impossible configuration");
        $finish;
    end
end

// ------------------------------------------------------------------------------ per-VI state

reg [IOVA_W:0]  base_mem [0:NUM_VI-1];    // ring IOVA, bit IOVA_W = out of range
reg [3:0]       log2_mem [0:NUM_VI-1];
reg [15:0]      owner_mem [0:NUM_VI-1];
reg [GEN_W-1:0] gen_mem [0:NUM_VI-1];
reg [15:0]      prod_mem [0:NUM_VI-1];    // doorbell: descriptors posted
reg [15:0]      fptr_mem [0:NUM_VI-1];    // scheduler: next descriptor to fetch
reg [15:0]      land_mem [0:NUM_VI-1];    // cache writer: next descriptor to land
reg [15:0]      head_mem [0:NUM_VI-1];    // dispatcher: next descriptor to send
reg [7:0]       eopin_mem [0:NUM_VI-1];   // cache writer: frames completed in the cache
reg [7:0]       eopout_mem [0:NUM_VI-1];  // dispatcher: frames sent
reg [21:0]      acc_mem [0:NUM_VI-1];     // cache writer: {descriptors, bytes} of the open frame

reg [E_W-1:0]   cache_mem [0:NUM_VI*DEPTH-1];

reg [NUM_VI-1:0] enabled_reg, enabled_next;
reg [NUM_VI-1:0] faulted_reg, faulted_next;
reg [NUM_VI-1:0] spend_reg, spend_next;      // fetch pending
reg [NUM_VI-1:0] dpend_reg, dpend_next;      // dispatch pending
reg [NUM_VI-1:0] blocked_reg, blocked_next;  // event queue full, wait for EVQ_READ

wire [NUM_VI-1:0] vi_active = enabled_reg & ~faulted_reg;

integer k;
initial begin
    for (k = 0; k < NUM_VI; k = k + 1) begin
        gen_mem[k] = {GEN_W{1'b0}};
    end
end

wire db_tx = db_valid && db_kind == DB_KIND_TX[1:0];
wire db_evq = db_valid && db_kind == DB_KIND_EVQ_READ[1:0];

// ------------------------------------------------------------------------------ scheduler

reg  [VI_W-1:0] s_last_reg;
wire            s_any;
wire [VI_W-1:0] s_vi;
// a TX doorbell is seen by the scheduler in the cycle it arrives (pending bit and producer index
// bypassed)
wire [NUM_VI-1:0] db_tx_vec = db_tx ? ({{(NUM_VI-1){1'b0}}, 1'b1} << db_vi) : {NUM_VI{1'b0}};
nic_rr_pick #(.N(NUM_VI), .SEL_W(VI_W)) s_pick (
    .req((spend_reg | db_tx_vec) & vi_active), .last(s_last_reg), .any(s_any), .sel(s_vi));

wire [15:0]     s_prod = (db_tx && db_vi == s_vi) ? db_value[15:0] : prod_mem[s_vi];
wire [15:0]     s_fptr = fptr_mem[s_vi];
wire [15:0]     s_posted = s_prod - s_fptr;
wire [15:0]     s_inuse = s_fptr - head_mem[s_vi];
wire [16:0]     s_room = ({1'b0, s_inuse} > DEPTH17) ? 17'd0 : DEPTH17 - {1'b0, s_inuse};
wire [3:0]      s_log2 = log2_mem[s_vi];
wire [15:0]     s_mask = (16'd1 << s_log2) - 16'd1;
wire [15:0]     s_slot = s_fptr & s_mask;
wire [16:0]     s_to_end = (17'd1 << s_log2) - {1'b0, s_slot};
wire [IOVA_W+1:0] s_iova = {1'b0, base_mem[s_vi]} + {{(IOVA_W-18){1'b0}}, s_slot, 4'd0};
wire [12:0]     s_page_left = 13'h1000 - {1'b0, s_iova[11:0]};
wire [16:0]     s_to_page = {8'd0, s_page_left[12:4]};

reg [16:0] s_n;
always @* begin
    s_n = {1'b0, s_posted};
    if (s_room < s_n) s_n = s_room;
    if (s_to_end < s_n) s_n = s_to_end;
    if (s_to_page < s_n) s_n = s_to_page;
    if (BATCH17 < s_n) s_n = BATCH17;
end

wire s_go = s_any && ctrl_tx_enable && !cfg_vi_valid && (!freq_valid || freq_ready);
wire s_issue = s_go && (s_n != 17'd0);
wire s_idle = s_go && (s_n == 17'd0);

always @(posedge clk) begin
    if (s_issue) begin
        freq_vi <= s_vi;
        freq_gen <= gen_mem[s_vi];
        freq_idx <= s_fptr;
        freq_n <= s_n[7:0];
        freq_iova <= {{(62-IOVA_W){1'b0}}, s_iova};
        freq_owner <= owner_mem[s_vi];
    end
    if (rst) begin
        freq_valid <= 1'b0;
        s_last_reg <= {VI_W{1'b0}};
    end else begin
        if (s_issue) begin
            freq_valid <= 1'b1;
        end else if (freq_ready) begin
            freq_valid <= 1'b0;
        end
        if (s_go) begin
            s_last_reg <= s_vi;
        end
    end
end

// ------------------------------------------------------------------------------ cache writer

wire [63:0] d_addr = fd_desc[TXD_ADDR_LSB +: 64];
wire [15:0] d_len = fd_desc[TXD_LEN_LSB +: 16];
wire        d_eop = fd_desc[TXD_EOP_LSB];
wire        d_cip = fd_desc[TXD_CSUM_IP_LSB];
wire        d_cl4 = fd_desc[TXD_CSUM_L4_LSB];
wire        d_oor = |d_addr[63:IOVA_W];
wire [21:0] d_acc = acc_mem[fd_vi];
wire [16:0] d_sum = {3'd0, d_acc[13:0]} + {1'b0, d_len};
wire        d_stale = (fd_gen != gen_mem[fd_vi]) || !vi_active[fd_vi];
wire        d_bad = (d_len == 16'd0) || (d_sum > MAX_FRAME17) || (!d_eop && d_acc[21:14] == ND_MAX);
wire [1:0]  d_err = fd_fault ? E_FETCH : d_bad ? E_BAD : E_OK;
wire        d_end = d_eop || d_err != E_OK;   // an error marker ends the frame

assign fd_ready = !cfg_vi_valid;
wire cw_fire = fd_valid && fd_ready;
wire cw_store = cw_fire && !d_stale;
wire [15:0] d_next = fd_idx + 16'd1;
wire cw_wake = cw_store && (d_end || d_next == fptr_mem[fd_vi]);

always @(posedge clk) begin
    if (cw_store) begin
        cache_mem[{fd_vi, fd_idx[CACHE_LOG2-1:0]}] <= {d_err, d_cl4, d_cip, d_end, d_len, d_oor,
                                                        d_addr[IOVA_W-1:0]};
    end
end

// ------------------------------------------------------------------------------ dispatcher

reg  [1:0]       d_state_reg, d_state_next;
reg  [VI_W-1:0]  d_last_reg;
reg  [VI_W-1:0]  cur_vi_reg;
reg  [GEN_W-1:0] cur_gen_reg;
reg  [15:0]      cur_head_reg;
reg  [7:0]       cur_nd_reg;
reg              cur_first_reg;
reg              cur_cip_reg, cur_cl4_reg;
reg              stale_reg;       // the VI was re-committed during this frame
reg              db_seen_reg;     // EVQ_READ doorbell since the reservation request

wire             p_any;
wire [VI_W-1:0]  p_vi;
nic_rr_pick #(.N(NUM_VI), .SEL_W(VI_W)) d_pick (
    .req(dpend_reg & vi_active & ~blocked_reg), .last(d_last_reg), .any(p_any), .sel(p_vi));

wire seg_load;
wire p_go = (d_state_reg == D_PICK) && p_any && ctrl_tx_enable && seg_load;
wire p_frames = eopin_mem[p_vi] != eopout_mem[p_vi];
wire [15:0] p_land = land_mem[p_vi];
wire p_partial = (p_land != head_mem[p_vi]) && (prod_mem[p_vi] == fptr_mem[p_vi]) &&
                 (p_land == fptr_mem[p_vi]);
wire p_start = p_go && p_frames;
wire p_empty = p_go && !p_frames;
wire p_fault = p_empty && p_partial;

// cache read: the entry at the head of the frame being sent (registered read)
reg  [E_W-1:0] cache_q;
assign seg_load = (!seg_valid || seg_ready) && !cfg_vi_valid;
// send: in D_SEND, or straight from D_WAIT in the cycle a positive reservation answer arrives
wire w_go = (d_state_reg == D_WAIT) && rsv_resp_valid && rsv_resp_ok && !stale_reg;
wire send = ((d_state_reg == D_SEND) || w_go) && seg_load;
wire send_desc = send && !stale_reg && (cache_q[IOVA_W+20 +: 2] == E_OK);
wire [CACHE_LOG2-1:0] rd_head = cur_head_reg[CACHE_LOG2-1:0] +
                                {{(CACHE_LOG2-1){1'b0}}, send_desc};

always @(posedge clk) begin
    cache_q <= cache_mem[{cur_vi_reg, rd_head}];
end

wire [IOVA_W:0] q_iova = cache_q[IOVA_W:0];
wire [15:0]     q_len = cache_q[IOVA_W+1 +: 16];
wire            q_eop = cache_q[IOVA_W+17];
wire            q_cip = cache_q[IOVA_W+18];
wire            q_cl4 = cache_q[IOVA_W+19];
wire [1:0]      q_err = cache_q[IOVA_W+20 +: 2];
wire            q_mark = q_err != E_OK;
wire            send_mark = send && !stale_reg && q_mark;

assign rsv_req_valid = d_state_reg == D_RSV;
assign rsv_req_vi = cur_vi_reg;

always @* begin
    d_state_next = d_state_reg;
    case (d_state_reg)
        D_PICK: if (p_start) d_state_next = D_RSV;
        D_RSV: if (rsv_req_ready) d_state_next = D_WAIT;
        D_WAIT: if (rsv_resp_valid) d_state_next = (rsv_resp_ok && !stale_reg) ? D_SEND : D_PICK;
        D_SEND: ;
        default: d_state_next = D_PICK;
    endcase
    if (send && (stale_reg || q_eop || q_mark)) begin
        d_state_next = D_PICK;
    end
end

wire rsv_fail = (d_state_reg == D_WAIT) && rsv_resp_valid && !rsv_resp_ok && !stale_reg &&
                !db_seen_reg && !(db_evq && db_vi == cur_vi_reg);

always @(posedge clk) begin
    if (p_start) begin
        cur_vi_reg <= p_vi;
        cur_gen_reg <= gen_mem[p_vi];
        cur_head_reg <= head_mem[p_vi];
        cur_nd_reg <= 8'd0;
        cur_first_reg <= 1'b1;
        stale_reg <= 1'b0;
        db_seen_reg <= 1'b0;
    end else begin
        if (cfg_vi_valid && cfg_vi == cur_vi_reg) begin
            stale_reg <= 1'b1;
        end
        if (db_evq && db_vi == cur_vi_reg) begin
            db_seen_reg <= 1'b1;
        end
        if (send_desc) begin
            cur_head_reg <= cur_head_reg + 16'd1;
            cur_nd_reg <= cur_nd_reg + 8'd1;
            cur_first_reg <= 1'b0;
            if (cur_first_reg) begin
                cur_cip_reg <= q_cip;
                cur_cl4_reg <= q_cl4;
            end
        end
    end
    if (seg_load) begin
        if (d_state_reg == D_PICK) begin
            // partial-frame fault: a one-segment error frame
            seg_vi <= p_vi;
            seg_gen <= gen_mem[p_vi];
            seg_idx <= p_land - 16'd1;
            seg_first <= 1'b1;
            seg_last <= 1'b1;
            seg_abort <= 1'b1;
            seg_err <= E_BAD;
        end else begin
            seg_vi <= cur_vi_reg;
            seg_gen <= cur_gen_reg;
            seg_idx <= cur_head_reg;
            seg_first <= cur_first_reg;
            seg_last <= stale_reg || q_eop || q_mark;
            seg_abort <= stale_reg || q_mark;
            seg_err <= stale_reg ? E_OK : q_err;
        end
        seg_owner <= owner_mem[cur_vi_reg];
        seg_iova <= q_iova;
        seg_len <= q_len;
        seg_csum_ip <= cur_first_reg ? q_cip : cur_cip_reg;
        seg_csum_l4 <= cur_first_reg ? q_cl4 : cur_cl4_reg;
        seg_ndesc <= cur_nd_reg + 8'd1;
    end
    if (rst) begin
        d_state_reg <= D_PICK;
        d_last_reg <= {VI_W{1'b0}};
        seg_valid <= 1'b0;
        stat_descs <= 1'b0;
    end else begin
        d_state_reg <= d_state_next;
        if (p_go) begin
            d_last_reg <= p_vi;
        end
        if (seg_load) begin
            // an abort is only needed when part of the frame went out already
            seg_valid <= p_fault || (send && (!stale_reg || !cur_first_reg));
        end else if (seg_ready) begin
            seg_valid <= 1'b0;
        end
        stat_descs <= send_desc;
    end
end

// ------------------------------------------------------------------------------ per-VI updates

always @* begin
    enabled_next = enabled_reg;
    faulted_next = faulted_reg;
    spend_next = spend_reg;
    dpend_next = dpend_reg;
    blocked_next = blocked_reg;
    // clears first, sets after: a set in the same cycle wins
    if (s_idle) begin
        spend_next[s_vi] = 1'b0;
    end
    if (p_empty) begin
        dpend_next[p_vi] = 1'b0;
    end
    if (db_tx) begin
        spend_next[db_vi] = 1'b1;
    end
    if (send_desc) begin
        spend_next[cur_vi_reg] = 1'b1;
    end
    if (cw_wake) begin
        dpend_next[fd_vi] = 1'b1;
    end
    if (rsv_fail) begin
        blocked_next[cur_vi_reg] = 1'b1;
    end
    if (db_evq) begin
        blocked_next[db_vi] = 1'b0;
    end
    if (flt_valid) begin
        faulted_next[flt_vi] = 1'b1;
    end
    if (lflt_valid) begin
        faulted_next[lflt_vi] = 1'b1;
    end
    if (p_fault) begin
        faulted_next[p_vi] = 1'b1;
    end
    if (send_mark) begin
        faulted_next[cur_vi_reg] = 1'b1;
    end
    if (cfg_vi_valid) begin
        enabled_next[cfg_vi] = cfg_vi_enable;
        faulted_next[cfg_vi] = 1'b0;
        spend_next[cfg_vi] = 1'b0;
        dpend_next[cfg_vi] = 1'b0;
        blocked_next[cfg_vi] = 1'b0;
    end
end

always @(posedge clk) begin
    if (cfg_vi_valid) begin
        if (cfg_vi_enable) begin
            base_mem[cfg_vi] <= {|cfg_vi_txq_base[63:IOVA_W], cfg_vi_txq_base[IOVA_W-1:0]};
            log2_mem[cfg_vi] <= cfg_vi_txq_log2;
            owner_mem[cfg_vi] <= cfg_vi_owner;
        end
        gen_mem[cfg_vi] <= gen_mem[cfg_vi] + 1'b1;
        prod_mem[cfg_vi] <= 16'd0;
        fptr_mem[cfg_vi] <= 16'd0;
        land_mem[cfg_vi] <= 16'd0;
        head_mem[cfg_vi] <= 16'd0;
        eopin_mem[cfg_vi] <= 8'd0;
        eopout_mem[cfg_vi] <= 8'd0;
        acc_mem[cfg_vi] <= 22'd0;
    end else begin
        if (db_tx) begin
            prod_mem[db_vi] <= db_value[15:0];
        end
        if (s_issue) begin
            fptr_mem[s_vi] <= s_fptr + s_n[15:0];
        end
        if (cw_store) begin
            land_mem[fd_vi] <= d_next;
            if (d_end) begin
                eopin_mem[fd_vi] <= eopin_mem[fd_vi] + 8'd1;
                acc_mem[fd_vi] <= 22'd0;
            end else begin
                acc_mem[fd_vi] <= {d_acc[21:14] + 8'd1, d_sum[13:0]};
            end
        end
        if (send_desc) begin
            head_mem[cur_vi_reg] <= cur_head_reg + 16'd1;
            if (q_eop) begin
                eopout_mem[cur_vi_reg] <= eopout_mem[cur_vi_reg] + 8'd1;
            end
        end
    end
    if (rst) begin
        enabled_reg <= {NUM_VI{1'b0}};
        faulted_reg <= {NUM_VI{1'b0}};
        spend_reg <= {NUM_VI{1'b0}};
        dpend_reg <= {NUM_VI{1'b0}};
        blocked_reg <= {NUM_VI{1'b0}};
    end else begin
        enabled_reg <= enabled_next;
        faulted_reg <= faulted_next;
        spend_reg <= spend_next;
        dpend_reg <= dpend_next;
        blocked_reg <= blocked_next;
    end
end

wire unused_ok = &{1'b0, db_value[31:16], s_to_end[16], s_iova[IOVA_W+1:12], s_page_left[3:0],
                   d_sum[16:14]};

endmodule

`default_nettype wire
