// nic_rx_desc_fetch: per-VI RX descriptor rings - state, prefetch cache, fetch engine, walk.
//
// Per-VI state lives in RAM arrays indexed by VI (enable, fault, owner, ring base/log2, epoch,
// producer index from the RX doorbell, fetch pointer, fetched pointer, consumer index). Every
// VI has a cache of 2^CACHE_LOG2 descriptors (ring index i lives in slot i mod 2^CACHE_LOG2),
// holding the posted descriptors [cons, fetched) plus room for fetches in flight [fetched, fptr).
//
// Fetch engine: a scan pointer visits the VIs in turn; for an enabled, unfaulted VI with posted
// descriptors not yet fetched and free cache slots it translates the ring slice (never crossing
// a 4 KiB page or the ring end, at most 2^FETCH_MAX_LOG2 descriptors; while more is posted than
// fits, it waits for room for a whole batch) through the buffer table
// with the VI's owner, then reads it with one AXI4 INCR burst (ID 0). Up to 2^OUTSTANDING_LOG2
// fetches are in flight; read data (in order) is unpacked into the cache one descriptor per
// cycle. A refused translation raises a desc fault request (ERR_RX_DESC_FAULT, ring index of
// the first descriptor of the slice); the VI becomes faulted when the fault is reported
// (flt_set_*). Work tagged with an older epoch of a reconfigured VI is discarded.
//
// Walk (for the DMA planner): for a frame of walk_req_len bytes on walk_req_vi, it examines the
// VI's cached descriptors from the consumer index plus walk_req_skip (descriptors claimed by the
// VI's earlier frames still in flight) on, pushing each (IOVA, bytes used, ring index) to
// walk_desc_*, until their buffers cover the frame, then answers walk_resp_* with status OK and
// the count (at most 32 descriptors per frame). It does not consume: the planner reserves an
// event and then commits (commit_*: cons += n). It answers NO_DESC when the posted descriptors
// (or the 32-descriptor limit) run out first, FAULT for a faulted VI, DISABLED for a disabled one; it waits while the needed
// descriptors are posted but still being fetched. On failure walk_resp_ndesc says how many
// descriptors were pushed (the consumer discards them).
`timescale 1ns / 1ps
`default_nettype none

module nic_rx_desc_fetch #(
    parameter integer DATA_WIDTH = 512,
    parameter integer ADDR_WIDTH = 48,
    parameter integer NUM_VI = 16,
    parameter integer VI_W = $clog2(NUM_VI),
    parameter integer CACHE_LOG2 = 5,        // descriptors cached per VI, log2
    parameter integer FETCH_MAX_LOG2 = 4,    // descriptors per fetch burst at most, log2
    parameter integer OUTSTANDING_LOG2 = 2   // fetches in flight, log2
) (
    input  wire                     clk,
    input  wire                     rst,

    // configuration and doorbells
    input  wire                     cfg_vi_valid,
    input  wire [VI_W-1:0]          cfg_vi,
    input  wire                     cfg_vi_enable,
    input  wire [15:0]              cfg_vi_owner,
    input  wire [63:0]              cfg_vi_rxq_base,
    input  wire [3:0]               cfg_vi_rxq_log2,
    input  wire                     db_valid,
    input  wire [VI_W-1:0]          db_vi,
    input  wire [1:0]               db_kind,
    input  wire [31:0]              db_value,

    // a fault was reported for this VI (marks it faulted)
    input  wire                     flt_set_valid,
    input  wire [VI_W-1:0]          flt_set_vi,

    // descriptor-fetch fault requests
    output wire                     dflt_valid,
    input  wire                     dflt_ready,
    output wire [VI_W-1:0]          dflt_vi,
    output wire [15:0]              dflt_index,
    output wire [1:0]               dflt_epoch,      // the VI epoch the fetch was made in

    // buffer-table translate port
    output wire                     xlat_req_valid,
    input  wire                     xlat_req_ready,
    output wire [63:0]              xlat_req_iova,
    output wire [15:0]              xlat_req_owner,
    output wire [15:0]              xlat_req_len,
    input  wire                     xlat_resp_valid,
    output wire                     xlat_resp_ready,
    input  wire [ADDR_WIDTH-1:0]    xlat_resp_addr,
    input  wire                     xlat_resp_fault,
    input  wire                     xlat_resp_epoch,
    output wire [15:0]              xlat_ret,      // DMA-fence retirements {epoch 1, epoch 0}

    // AXI4 read master
    output wire [3:0]               m_axi_arid,
    output wire [ADDR_WIDTH-1:0]    m_axi_araddr,
    output wire [7:0]               m_axi_arlen,
    output wire [2:0]               m_axi_arsize,
    output wire [1:0]               m_axi_arburst,
    output wire                     m_axi_arvalid,
    input  wire                     m_axi_arready,
    input  wire [3:0]               m_axi_rid,
    input  wire [DATA_WIDTH-1:0]    m_axi_rdata,
    input  wire [1:0]               m_axi_rresp,
    input  wire                     m_axi_rlast,
    input  wire                     m_axi_rvalid,
    output wire                     m_axi_rready,

    // walk
    input  wire                     walk_req_valid,
    output wire                     walk_req_ready,
    input  wire [VI_W-1:0]          walk_req_vi,
    input  wire [15:0]              walk_req_len,
    input  wire [7:0]               walk_req_skip,   // descriptors claimed by frames in flight
    output wire                     walk_desc_valid,
    input  wire                     walk_desc_ready,
    output wire [63:0]              walk_desc_addr,
    output wire [15:0]              walk_desc_len,
    output wire [15:0]              walk_desc_idx,
    output wire                     walk_resp_valid,
    input  wire                     walk_resp_ready,
    output wire [1:0]               walk_resp_status,
    output wire [15:0]              walk_resp_idx,
    output wire [7:0]               walk_resp_ndesc,
    output wire [15:0]              walk_resp_owner,
    output wire [1:0]               walk_resp_epoch,

    // commit (consume) descriptors
    input  wire                     commit_valid,
    output wire                     commit_ready,
    input  wire [VI_W-1:0]          commit_vi,
    input  wire [7:0]               commit_n,
    input  wire [1:0]               commit_epoch,
    output wire                     commit_epoch_ok,  // the VI was not reconfigured since the walk

    // RX consumer index read port (for VI_EVQ_PROD[31:16])
    input  wire [VI_W-1:0]          cons_rd_vi,
    output wire [15:0]              cons_rd_index
);

localparam integer BYTES = DATA_WIDTH / 8;
localparam integer BYTE_SHIFT = $clog2(BYTES);
localparam integer K = 1 << CACHE_LOG2;
localparam integer FRAME_DESC_MAX = (K < 32) ? K : 32;           // descriptors per frame
localparam integer FMAX = 1 << FETCH_MAX_LOG2;
localparam integer SLOTS = (BYTES >= 16) ? BYTES / 16 : 1;   // descriptors per beat
localparam integer SLOT_W = (SLOTS > 1) ? $clog2(SLOTS) : 1;
localparam integer CW = VI_W + CACHE_LOG2;                    // cache address width

localparam [1:0] ST_OK = 2'd0, ST_NO_DESC = 2'd1, ST_FAULT = 2'd2, ST_DISABLED = 2'd3;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0) begin
        $error("nic_rx_desc_fetch: DATA_WIDTH must be a power of two in 64..512");
        $finish;
    end
    if (CACHE_LOG2 < 1 || CACHE_LOG2 > 7 || FETCH_MAX_LOG2 < 0 || FETCH_MAX_LOG2 > CACHE_LOG2 ||
        FETCH_MAX_LOG2 > 8) begin
        $error("nic_rx_desc_fetch: need 1 <= CACHE_LOG2 <= 7 and FETCH_MAX_LOG2 <= CACHE_LOG2, 8");
        $finish;
    end
    if (NUM_VI < 1 || (1 << VI_W) < NUM_VI) begin
        $error("nic_rx_desc_fetch: VI_W too small for NUM_VI");
        $finish;
    end
end

/* verilator lint_off UNUSEDPARAM */
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

// ------------------------------------------------------------------ per-VI state (RAM arrays)
reg                  vi_en      [0:NUM_VI-1];
reg                  vi_flt     [0:NUM_VI-1];
reg [15:0]           vi_owner   [0:NUM_VI-1];
reg [63:0]           vi_base    [0:NUM_VI-1];
reg [3:0]            vi_log2    [0:NUM_VI-1];
reg [1:0]            vi_epoch   [0:NUM_VI-1];
reg [15:0]           vi_prod    [0:NUM_VI-1];
reg [15:0]           vi_fptr    [0:NUM_VI-1];   // next index to request
reg [15:0]           vi_fdone   [0:NUM_VI-1];   // indices below are in the cache
reg [15:0]           vi_cons    [0:NUM_VI-1];
reg [63:0]           cache_addr [0:(1<<CW)-1];
reg [15:0]           cache_len  [0:(1<<CW)-1];

integer iv;
initial begin
    // simulation convenience only; reset clears the enables below
    for (iv = 0; iv < NUM_VI; iv = iv + 1) begin
        vi_en[iv] = 1'b0;
        vi_flt[iv] = 1'b0;
        vi_epoch[iv] = 2'd0;
        vi_prod[iv] = 16'd0;
        vi_fptr[iv] = 16'd0;
        vi_fdone[iv] = 16'd0;
        vi_cons[iv] = 16'd0;
    end
end

assign cons_rd_index = vi_cons[cons_rd_vi];

// reset: walk the enables to 0 one VI per cycle
reg                  init_reg;
reg [VI_W-1:0]       init_vi_reg;

// doorbell held for one cycle when it collides with a configuration commit
reg                  dbh_valid_reg;
reg [VI_W-1:0]       dbh_vi_reg;
reg [15:0]           dbh_value_reg;
wire db_rx = db_valid && db_kind == DB_KIND_RX[1:0];
wire db_now_valid = dbh_valid_reg || db_rx;
wire [VI_W-1:0] db_now_vi = dbh_valid_reg ? dbh_vi_reg : db_vi;
wire [15:0] db_now_value = dbh_valid_reg ? dbh_value_reg : db_value[15:0];

// ------------------------------------------------------------------ fetch issue (scan)
localparam integer TRK_W = VI_W + 2 + 16 + FETCH_MAX_LOG2 + 1;  // vi, epoch, idx, count

reg [VI_W-1:0] scan_vi_reg;

wire [15:0] s_prod = vi_prod[scan_vi_reg];
wire [15:0] s_fptr = vi_fptr[scan_vi_reg];
wire [15:0] s_cons = vi_cons[scan_vi_reg];
wire [3:0]  s_log2 = vi_log2[scan_vi_reg];
wire [63:0] s_base = vi_base[scan_vi_reg];
wire [15:0] s_mask = (16'd1 << s_log2) - 16'd1;
wire [15:0] s_slot = s_fptr & s_mask;
wire [63:0] s_iova = s_base + {44'd0, s_slot, 4'd0};
wire [15:0] s_avail = s_prod - s_fptr;
wire [15:0] s_inflight = s_fptr - s_cons;
wire [15:0] s_space = K[15:0] - s_inflight;
wire [16:0] s_ring_left = (17'd1 << s_log2) - {1'b0, s_slot};
// descriptors left in the page (the ring base is 16-byte aligned)
wire [12:0] s_page_left_w = (13'd4096 - {1'b0, s_iova[11:0]}) >> 4;
wire [8:0]  s_page_left = s_page_left_w[8:0];

reg [15:0] s_cnt;
always @* begin
    s_cnt = s_avail;
    if (s_space < s_cnt) s_cnt = s_space;
    if (s_ring_left < {1'b0, s_cnt}) s_cnt = s_ring_left[15:0];
    if ({7'd0, s_page_left} < s_cnt) s_cnt = {7'd0, s_page_left};
    if (FMAX[15:0] < s_cnt) s_cnt = FMAX[15:0];
end

// while more is posted than the cache has room for, wait until a whole batch fits: fetching
// each freed slot on its own would spend the fetches in flight on tiny bursts
wire s_batch = s_space >= FMAX[15:0] || s_space >= s_avail;
wire s_want = !init_reg && vi_en[scan_vi_reg] && !vi_flt[scan_vi_reg] && s_prod != s_fptr &&
              s_inflight < K[15:0] && s_cnt != 16'd0 && s_batch;

// translate tracker: fetches between translate request and AR
wire                 xtrk_s_ready;
wire [TRK_W-1:0]     xtrk_m_data;
wire                 xtrk_m_valid;
wire                 xtrk_m_ready;
wire [OUTSTANDING_LOG2:0] xtrk_count;
// read tracker: fetches between AR and the end of their read data
wire                 rtrk_s_valid;
wire                 rtrk_s_ready;
wire [TRK_W+SLOT_W-1:0] rtrk_m_data;
wire                 rtrk_m_valid;
wire                 rtrk_m_ready;
wire [OUTSTANDING_LOG2:0] rtrk_count;

// all fetches in flight, bounded so the trackers never overflow
wire [OUTSTANDING_LOG2+1:0] fetches = {1'b0, xtrk_count} + {1'b0, rtrk_count};
wire fetch_room = fetches < (1 << OUTSTANDING_LOG2);

wire issue = s_want && fetch_room && xtrk_s_ready && !cfg_vi_valid;
assign xlat_req_valid = issue;
assign xlat_req_iova = s_iova;
assign xlat_req_owner = vi_owner[scan_vi_reg];
assign xlat_req_len = {s_cnt[11:0], 4'd0};
wire issue_fire = issue && xlat_req_ready;

wire [TRK_W-1:0] xtrk_s_data = {scan_vi_reg, vi_epoch[scan_vi_reg], s_fptr,
                                s_cnt[FETCH_MAX_LOG2:0]};

nic_fifo #(.WIDTH(TRK_W), .DEPTH_LOG2(OUTSTANDING_LOG2)) xtrk_fifo (
    .clk(clk), .rst(rst),
    .s_data(xtrk_s_data), .s_valid(issue_fire), .s_ready(xtrk_s_ready),
    .m_data(xtrk_m_data), .m_valid(xtrk_m_valid), .m_ready(xtrk_m_ready),
    .count(xtrk_count)
);

// ------------------------------------------------------------------ translate response -> AR
wire [VI_W-1:0] x_vi = xtrk_m_data[TRK_W-1 -: VI_W];
wire [15:0]     x_idx = xtrk_m_data[FETCH_MAX_LOG2+16 -: 16];
wire [FETCH_MAX_LOG2:0] x_cnt = xtrk_m_data[FETCH_MAX_LOG2:0];

reg                   ar_valid_reg;
reg [ADDR_WIDTH-1:0]  ar_addr_reg;
reg [7:0]             ar_len_reg;

// bytes spanned from the aligned start: offset in beat + 16 * count
wire [BYTE_SHIFT-1:0] x_off = xlat_resp_addr[BYTE_SHIFT-1:0];
wire [15:0] x_span = {{(16-BYTE_SHIFT){1'b0}}, x_off} + {{(11-FETCH_MAX_LOG2){1'b0}}, x_cnt, 4'd0}
                   + BYTES[15:0] - 16'd1;
wire [15:0] x_beats = x_span >> BYTE_SHIFT;
wire [SLOT_W-1:0] x_slot0;
generate
    if (SLOTS > 1) begin : g_slot0
        assign x_slot0 = xlat_resp_addr[BYTE_SHIFT-1:4];
    end else begin : g_slot0_1
        assign x_slot0 = 1'b0;
    end
endgenerate

reg dflt_valid_reg;
reg [VI_W-1:0] dflt_vi_reg;
reg [15:0] dflt_index_reg;
reg [1:0]  dflt_epoch_reg;
wire dflt_ready_int = !dflt_valid_reg || dflt_ready;
wire x_fault_ok = !xlat_resp_fault || dflt_ready_int;
wire x_go = xtrk_m_valid && xlat_resp_valid && !ar_valid_reg && rtrk_s_ready && x_fault_ok;
assign xlat_resp_ready = x_go;
assign xtrk_m_ready = x_go;
assign rtrk_s_valid = x_go && !xlat_resp_fault;

assign dflt_valid = dflt_valid_reg;
assign dflt_vi = dflt_vi_reg;
assign dflt_index = dflt_index_reg;
assign dflt_epoch = dflt_epoch_reg;

wire rtrk_m_epoch;    // fence epoch of the fetch's translation
nic_fifo #(.WIDTH(1+TRK_W+SLOT_W), .DEPTH_LOG2(OUTSTANDING_LOG2)) rtrk_fifo (
    .clk(clk), .rst(rst),
    .s_data({xlat_resp_epoch, xtrk_m_data, x_slot0}), .s_valid(rtrk_s_valid),
    .s_ready(rtrk_s_ready),
    .m_data({rtrk_m_epoch, rtrk_m_data}), .m_valid(rtrk_m_valid), .m_ready(rtrk_m_ready),
    .count(rtrk_count)
);

// DMA fence: a refused translation is done with at once, a fetch at its last beat
wire ret_x = x_go && xlat_resp_fault;
assign xlat_ret[7:0] = {6'd0, 1'b0, ret_x && !xlat_resp_epoch} +
                       {6'd0, 1'b0, rtrk_m_ready && !rtrk_m_epoch};
assign xlat_ret[15:8] = {6'd0, 1'b0, ret_x && xlat_resp_epoch} +
                        {6'd0, 1'b0, rtrk_m_ready && rtrk_m_epoch};

always @(posedge clk) begin
    if (x_go && !xlat_resp_fault) begin
        ar_addr_reg <= {xlat_resp_addr[ADDR_WIDTH-1:BYTE_SHIFT], {BYTE_SHIFT{1'b0}}};
        ar_len_reg <= x_beats[7:0] - 8'd1;
    end
    if (x_go && xlat_resp_fault) begin
        dflt_vi_reg <= x_vi;
        dflt_index_reg <= x_idx;
        dflt_epoch_reg <= xtrk_m_data[TRK_W-1-VI_W -: 2];
    end
    if (rst) begin
        ar_valid_reg <= 1'b0;
        dflt_valid_reg <= 1'b0;
    end else begin
        if (x_go && !xlat_resp_fault) begin
            ar_valid_reg <= 1'b1;
        end else if (m_axi_arready) begin
            ar_valid_reg <= 1'b0;
        end
        if (x_go && xlat_resp_fault) begin
            dflt_valid_reg <= 1'b1;
        end else if (dflt_ready) begin
            dflt_valid_reg <= 1'b0;
        end
    end
end

assign m_axi_arid = 4'd0;
assign m_axi_araddr = ar_addr_reg;
assign m_axi_arlen = ar_len_reg;
assign m_axi_arsize = BYTE_SHIFT[2:0];
assign m_axi_arburst = 2'b01;
assign m_axi_arvalid = ar_valid_reg;

// ------------------------------------------------------------------ read data -> cache
wire [VI_W-1:0] r_vi = rtrk_m_data[TRK_W+SLOT_W-1 -: VI_W];
wire [1:0]      r_epoch = rtrk_m_data[TRK_W+SLOT_W-1-VI_W -: 2];
wire [15:0]     r_idx0 = rtrk_m_data[SLOT_W+FETCH_MAX_LOG2+16 -: 16];
wire [FETCH_MAX_LOG2:0] r_cnt = rtrk_m_data[SLOT_W+FETCH_MAX_LOG2 -: FETCH_MAX_LOG2+1];
wire [SLOT_W-1:0] r_slot0 = rtrk_m_data[SLOT_W-1:0];

reg                     r_busy_reg;      // a fetch's data is being unpacked
reg [15:0]              r_idx_reg;       // ring index of the next descriptor
reg [FETCH_MAX_LOG2:0]  r_left_reg;      // descriptors still to unpack
reg [SLOT_W-1:0]        r_slot_reg;      // slot within the current beat
reg                     r_half_reg;      // DATA_WIDTH 64: low half of a descriptor held
reg [63:0]              r_low_reg;

wire r_epoch_ok = vi_epoch[r_vi] == r_epoch;
wire [15:0] r_idx = r_busy_reg ? r_idx_reg : r_idx0;
wire [FETCH_MAX_LOG2:0] r_left = r_busy_reg ? r_left_reg : r_cnt;
wire [SLOT_W-1:0] r_slot = r_busy_reg ? r_slot_reg : r_slot0;

reg [127:0] r_desc;
reg         r_have;       // r_desc is a complete descriptor this cycle
reg         r_beat_done;  // this cycle finishes the current beat
generate
    if (SLOTS > 1) begin : g_unpack_wide
        always @* begin
            r_desc = m_axi_rdata[{r_slot, 7'd0} +: 128];
            r_have = 1'b1;
            r_beat_done = (r_slot == SLOTS[SLOT_W-1:0] - 1'b1) || (r_left == 1);
        end
    end else if (BYTES == 16) begin : g_unpack_128
        always @* begin
            r_desc = m_axi_rdata[127:0];
            r_have = 1'b1;
            r_beat_done = 1'b1;
        end
    end else begin : g_unpack_64
        always @* begin
            r_desc = {m_axi_rdata[63:0], r_low_reg};
            r_have = r_half_reg;
            r_beat_done = 1'b1;
        end
    end
endgenerate

wire r_act = rtrk_m_valid && m_axi_rvalid && !cfg_vi_valid;
wire r_last_desc = r_have && r_left == 1;
assign m_axi_rready = r_act && r_beat_done;
assign rtrk_m_ready = r_act && r_last_desc;
wire r_write = r_act && r_have && r_epoch_ok;
wire [CW-1:0] r_cache_addr = {r_vi, r_idx[CACHE_LOG2-1:0]};

always @(posedge clk) begin
    if (r_write) begin
        cache_addr[r_cache_addr] <= r_desc[63:0];
        cache_len[r_cache_addr] <= r_desc[79:64];
    end
    if (r_act) begin
        if (r_last_desc) begin
            r_busy_reg <= 1'b0;
            r_half_reg <= 1'b0;
        end else begin
            r_busy_reg <= 1'b1;
            r_idx_reg <= r_idx + {15'd0, r_have};
            r_left_reg <= r_left - {{FETCH_MAX_LOG2{1'b0}}, r_have};
            r_slot_reg <= r_beat_done ? {SLOT_W{1'b0}} : r_slot + 1'b1;
            r_half_reg <= (BYTES == 8) ? !r_half_reg : 1'b0;
            r_low_reg <= m_axi_rdata[63:0];
        end
    end
    if (rst) begin
        r_busy_reg <= 1'b0;
        r_half_reg <= 1'b0;
    end
end

// ------------------------------------------------------------------ walk
reg                 w_busy_reg;
reg [VI_W-1:0]      w_vi_reg;
reg [15:0]          w_base_reg;     // ring index of the frame's first descriptor
reg [15:0]          w_rem_reg;
reg [7:0]           w_i_reg;
reg                 wr_valid_reg;
reg [1:0]           wr_status_reg;
reg [15:0]          wr_idx_reg;
reg [7:0]           wr_ndesc_reg;
reg [15:0]          wr_owner_reg;
reg [1:0]           wr_epoch_reg;

// positions relative to the committed consumer index (earlier frames may commit meanwhile;
// their descriptors are counted in walk_req_skip, so the frame's base never moves)
wire [15:0] w_cons = vi_cons[w_vi_reg];
wire [15:0] w_ring_idx = w_base_reg + {8'd0, w_i_reg};
wire [15:0] w_rel = w_ring_idx - w_cons;
wire [15:0] w_posted = vi_prod[w_vi_reg] - w_cons;
wire [15:0] w_fetched = vi_fdone[w_vi_reg] - w_cons;
wire [CW-1:0] w_cache = {w_vi_reg, w_ring_idx[CACHE_LOG2-1:0]};
wire [15:0] w_dlen = cache_len[w_cache];
wire w_cover = w_dlen >= w_rem_reg;

wire w_disabled = !vi_en[w_vi_reg];
wire w_faulted = vi_flt[w_vi_reg];
// out of posted descriptors, or the frame alone would need more than the cache holds
wire w_nodesc = w_rel >= w_posted || {8'd0, w_i_reg} == FRAME_DESC_MAX[15:0];
// fetched (the cache holds [cons, fetched), at most K: wait while earlier frames hold it)
wire w_ready_desc = w_rel < w_fetched;
// fail now, or take one descriptor now
wire w_fail = w_busy_reg && (w_disabled || w_faulted || w_nodesc);
wire w_take = w_busy_reg && !w_fail && w_ready_desc && walk_desc_ready;

assign walk_req_ready = !w_busy_reg && (!wr_valid_reg || walk_resp_ready);
assign walk_desc_valid = w_busy_reg && !w_fail && w_ready_desc;
assign walk_desc_addr = cache_addr[w_cache];
assign walk_desc_len = w_cover ? w_rem_reg : w_dlen;
assign walk_desc_idx = w_ring_idx;
assign walk_resp_valid = wr_valid_reg;
assign walk_resp_status = wr_status_reg;
assign walk_resp_idx = wr_idx_reg;
assign walk_resp_ndesc = wr_ndesc_reg;
assign walk_resp_owner = wr_owner_reg;
assign walk_resp_epoch = wr_epoch_reg;

always @(posedge clk) begin
    if (walk_req_valid && walk_req_ready) begin
        w_vi_reg <= walk_req_vi;
        w_base_reg <= vi_cons[walk_req_vi] + {8'd0, walk_req_skip};
        w_rem_reg <= walk_req_len;
        w_i_reg <= 8'd0;
    end
    if (w_take) begin
        w_rem_reg <= w_rem_reg - walk_desc_len;
        w_i_reg <= w_i_reg + 8'd1;
    end
    if (w_fail || (w_take && w_cover)) begin
        wr_status_reg <= w_disabled ? ST_DISABLED : w_faulted ? ST_FAULT :
                         (w_fail ? ST_NO_DESC : ST_OK);
        wr_idx_reg <= w_base_reg;
        wr_ndesc_reg <= w_i_reg + {7'd0, w_take};
        wr_owner_reg <= vi_owner[w_vi_reg];
        wr_epoch_reg <= vi_epoch[w_vi_reg];
    end
    if (rst) begin
        w_busy_reg <= 1'b0;
        wr_valid_reg <= 1'b0;
    end else begin
        if (walk_req_valid && walk_req_ready) begin
            w_busy_reg <= 1'b1;
        end else if (w_fail || (w_take && w_cover)) begin
            w_busy_reg <= 1'b0;
        end
        if (w_fail || (w_take && w_cover)) begin
            wr_valid_reg <= 1'b1;
        end else if (walk_resp_valid && walk_resp_ready) begin
            wr_valid_reg <= 1'b0;
        end
    end
end

// ------------------------------------------------------------------ state writes
assign commit_ready = !cfg_vi_valid && !init_reg;
assign commit_epoch_ok = vi_epoch[commit_vi] == commit_epoch;
wire commit_fire = commit_valid && commit_ready && commit_epoch_ok;

always @(posedge clk) begin
    // configuration commit: load, zero indices and fault, new epoch
    if (init_reg) begin
        vi_en[init_vi_reg] <= 1'b0;
    end else if (cfg_vi_valid) begin
        vi_en[cfg_vi] <= cfg_vi_enable;
    end
    if (cfg_vi_valid && cfg_vi_enable) begin
        vi_owner[cfg_vi] <= cfg_vi_owner;
        vi_base[cfg_vi] <= cfg_vi_rxq_base;
        vi_log2[cfg_vi] <= (cfg_vi_rxq_log2 > MAX_RING_LOG2[3:0]) ? MAX_RING_LOG2[3:0]
                                                                  : cfg_vi_rxq_log2;
        vi_epoch[cfg_vi] <= vi_epoch[cfg_vi] + 2'd1;
    end
    // a fault of one VI and a commit of another may come in the same cycle: both take
    // effect (for the same VI the commit wins, as its work is of the old configuration)
    if (flt_set_valid) begin
        vi_flt[flt_set_vi] <= 1'b1;
    end
    if (cfg_vi_valid && cfg_vi_enable) begin
        vi_flt[cfg_vi] <= 1'b0;
    end
    if (cfg_vi_valid && cfg_vi_enable) begin
        vi_prod[cfg_vi] <= 16'd0;
    end else if (db_now_valid && !cfg_vi_valid) begin
        vi_prod[db_now_vi] <= db_now_value;
    end
    if (cfg_vi_valid && cfg_vi_enable) begin
        vi_fptr[cfg_vi] <= 16'd0;
    end else if (issue_fire) begin
        vi_fptr[scan_vi_reg] <= s_fptr + s_cnt;
    end
    if (cfg_vi_valid && cfg_vi_enable) begin
        vi_fdone[cfg_vi] <= 16'd0;
    end else if (r_act && r_last_desc && r_epoch_ok) begin
        vi_fdone[r_vi] <= r_idx + 16'd1;
    end
    if (cfg_vi_valid && cfg_vi_enable) begin
        vi_cons[cfg_vi] <= 16'd0;
    end else if (commit_fire) begin
        vi_cons[commit_vi] <= vi_cons[commit_vi] + {8'd0, commit_n};
    end
end

always @(posedge clk) begin
    if (db_rx && cfg_vi_valid && !dbh_valid_reg) begin
        dbh_vi_reg <= db_vi;
        dbh_value_reg <= db_value[15:0];
    end
    if (rst) begin
        init_reg <= 1'b1;
        init_vi_reg <= {VI_W{1'b0}};
        scan_vi_reg <= {VI_W{1'b0}};
        dbh_valid_reg <= 1'b0;
    end else begin
        if (init_reg) begin
            init_vi_reg <= init_vi_reg + 1'b1;
            if (init_vi_reg == NUM_VI[VI_W-1:0] - 1'b1) begin
                init_reg <= 1'b0;
            end
        end
        // stay on a VI while it has work, else move on
        if (!s_want) begin
            scan_vi_reg <= (scan_vi_reg == NUM_VI[VI_W-1:0] - 1'b1) ? {VI_W{1'b0}}
                                                                  : scan_vi_reg + 1'b1;
        end
        if (cfg_vi_valid) begin
            dbh_valid_reg <= db_rx && !dbh_valid_reg;
        end else begin
            dbh_valid_reg <= 1'b0;
        end
    end
end

/* verilator lint_off UNUSEDSIGNAL */
wire unused_ok = |{m_axi_rid, m_axi_rresp, m_axi_rlast, db_value[31:16], r_desc[127:80],
                   s_ring_left[16], x_beats[15:8], s_page_left_w[12:9], r_low_reg};
/* verilator lint_on UNUSEDSIGNAL */

endmodule

`default_nettype wire
