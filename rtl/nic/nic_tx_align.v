// nic_tx_align: TX byte realigner - packs the DMA read data of a frame into a dense stream.
//
// Consumes nic_tx_rd's tracking entries in order together with the R beats of their bursts.
// Stage A cuts each beat to the bytes that belong to the frame ([lo, hi) of the beat); stage B
// appends them to the frame being assembled with one byte rotation (by (fill - lo) mod BYTES)
// and a per-byte merge, and emits a full output beat whenever BYTES bytes are collected. At the
// end of the frame the remainder goes out as the last beat (one extra cycle when the last input
// beat both completed a beat and left a remainder).
//
// Frame checks, at the first entry of a frame: a frame of a VI whose packet read faulted earlier
// (since its last configuration commit), or of an older configuration (generation differs), is
// dropped. A zero-beat fault entry (refused translation) marks the frame bad: its remaining data
// is discarded and every later frame of that VI is dropped (lflt_* tells the dispatcher at once).
// A bad frame leaves as an abort beat (the frame buffer discards what it had written) followed by
// a one-beat error record (o_err = 3 read fault, or the error an abort entry carried from the
// dispatcher: 1 bad descriptor, 2 descriptor fetch fault; o_idx = the descriptor's ring index):
// nic_tx_out turns it into the error event in ring order, after the completions of every frame
// posted before it. An abort entry without error, or a frame dropped as above, leaves as a
// single abort beat and no record.
//
// The output has no ready: nic_tx_rd only issues reads whose beats fit in the frame buffer.
// o_len/o_meta are valid with o_eof.
`timescale 1ns / 1ps
`default_nettype none

module nic_tx_align #(
    parameter integer NUM_VI = 16,
    parameter integer VI_W = $clog2(NUM_VI),
    parameter integer DATA_WIDTH = 512,
    parameter integer GEN_W = 4
) (
    input  wire                     clk,
    input  wire                     rst,

    input  wire                     cfg_vi_valid,
    input  wire [VI_W-1:0]          cfg_vi,

    input  wire                     trk_valid,
    output wire                     trk_ready,
    input  wire [8:0]               trk_beats,
    input  wire [$clog2(DATA_WIDTH/8)-1:0] trk_lo,
    input  wire [12:0]              trk_bytes,
    input  wire                     trk_sof,
    input  wire                     trk_eof,
    input  wire                     trk_fault,
    input  wire                     trk_abort,
    input  wire [1:0]               trk_err,
    input  wire [VI_W-1:0]          trk_vi,
    input  wire [GEN_W-1:0]         trk_gen,
    input  wire [15:0]              trk_idx,
    input  wire                     trk_csum_ip,
    input  wire                     trk_csum_l4,
    input  wire [7:0]               trk_ndesc,

    input  wire [DATA_WIDTH-1:0]    m_axi_rdata,
    input  wire                     m_axi_rvalid,
    output wire                     m_axi_rready,
    output wire                     beat_done,

    output reg                      o_valid,
    output reg  [DATA_WIDTH-1:0]    o_data,
    output reg                      o_eof,
    output reg                      o_abort,
    output reg  [13:0]              o_len,
    output reg  [VI_W-1:0]          o_vi,
    output reg  [GEN_W-1:0]         o_gen,
    output reg  [15:0]              o_idx,
    output reg  [7:0]               o_ndesc,
    output reg                      o_csum_ip,
    output reg                      o_csum_l4,
    output reg  [1:0]               o_err,       // error record (with o_eof): 1..3, else 0

    // packet read fault found (the VI stops being dispatched)
    output reg                      lflt_valid,
    output reg  [VI_W-1:0]          lflt_vi
);

localparam integer BYTES = DATA_WIDTH / 8;
localparam integer OFF_W = $clog2(BYTES);
localparam [OFF_W:0] BYTES_N = BYTES[OFF_W:0];
localparam integer M_W = VI_W + GEN_W + 16 + 2 + 8 + 2;   // {vi, gen, idx, cip, cl4, ndesc, err}
localparam [1:0] ERR_READ = 2'd3;

initial begin
    if (NUM_VI < 2 || (1 << VI_W) < NUM_VI || DATA_WIDTH < 64 || DATA_WIDTH > 512 ||
            (DATA_WIDTH & (DATA_WIDTH - 1)) != 0 || GEN_W < 1) begin
        $error("nic_tx_align: impossible configuration");
        $finish;
    end
end

reg [GEN_W-1:0] gen_mem [0:NUM_VI-1];
integer k;
initial begin
    for (k = 0; k < NUM_VI; k = k + 1) begin
        gen_mem[k] = {GEN_W{1'b0}};
    end
end
always @(posedge clk) begin
    if (cfg_vi_valid) begin
        gen_mem[cfg_vi] <= gen_mem[cfg_vi] + 1'b1;
    end
end

// VIs whose packet read faulted: their later frames are dropped (until the next commit)
reg [NUM_VI-1:0] rdflt_reg, rdflt_next;

// ------------------------------------------------------------------------------ stage A

reg  [8:0]       a_bcnt_reg;
wire             a_nodata = trk_beats == 9'd0;
wire             a_first = a_bcnt_reg == 9'd0;
wire             a_lastb = (a_bcnt_reg + 9'd1) == trk_beats;
wire [OFF_W-1:0] a_end = trk_lo + trk_bytes[OFF_W-1:0];
wire [OFF_W:0]   a_lo = a_first ? {1'b0, trk_lo} : {(OFF_W+1){1'b0}};
wire [OFF_W:0]   a_hi = (a_lastb && a_end != {OFF_W{1'b0}}) ? {1'b0, a_end} : BYTES_N;

reg                  a_valid_reg;
reg [DATA_WIDTH-1:0] a_data_reg;
reg [OFF_W-1:0]      a_lo_reg;
reg [OFF_W:0]        a_n_reg;
reg                  a_nodata_reg, a_sof_reg, a_eof_reg, a_fault_reg, a_abort_reg;
reg [M_W-1:0]        a_meta_reg;

wire b_ready;
wire a_room = !a_valid_reg || b_ready;
wire a_take = trk_valid && a_room && (a_nodata || m_axi_rvalid);
assign m_axi_rready = trk_valid && !a_nodata && a_room;
// credit back: every R beat, and every zero-beat entry (it held one beat of credit)
assign beat_done = (m_axi_rvalid && m_axi_rready) || (a_take && a_nodata);
assign trk_ready = a_take && (a_nodata || a_lastb);

always @(posedge clk) begin
    if (a_take) begin
        a_data_reg <= m_axi_rdata;
        a_lo_reg <= a_lo[OFF_W-1:0];
        a_n_reg <= a_hi - a_lo;
        a_nodata_reg <= a_nodata;
        a_sof_reg <= trk_sof && a_first;
        a_eof_reg <= trk_eof && (a_nodata || a_lastb);
        a_fault_reg <= trk_fault;
        a_abort_reg <= trk_abort;
        a_meta_reg <= {trk_vi, trk_gen, trk_idx, trk_csum_ip, trk_csum_l4, trk_ndesc, trk_err};
    end
    if (rst) begin
        a_valid_reg <= 1'b0;
        a_bcnt_reg <= 9'd0;
    end else begin
        if (a_room) begin
            a_valid_reg <= a_take;
        end
        if (a_take) begin
            a_bcnt_reg <= (a_nodata || a_lastb) ? 9'd0 : a_bcnt_reg + 9'd1;
        end
    end
end

// ------------------------------------------------------------------------------ stage B

reg [DATA_WIDTH-1:0] acc_reg;
reg [OFF_W-1:0]      cnt_reg;      // bytes held in acc_reg
reg [13:0]           len_reg;      // bytes of the frame so far
reg                  drop_reg, err_reg;
reg [15:0]           err_idx_reg;
reg [1:0]            err_code_reg;
reg                  flush_reg;    // last beat of the frame still to go out
reg                  rec_reg;      // error record still to go out
reg [M_W-1:0]        meta_reg;

wire [VI_W-1:0]  i_vi = a_meta_reg[M_W-1 -: VI_W];
wire [GEN_W-1:0] i_gen = a_meta_reg[M_W-VI_W-1 -: GEN_W];
wire [15:0]      i_idx = a_meta_reg[12 +: 16];
wire [1:0]       i_err = a_meta_reg[1:0];

assign b_ready = !flush_reg && !rec_reg;
wire b_take = a_valid_reg && b_ready;

wire             s_drop = a_sof_reg ? (rdflt_reg[i_vi] || gen_mem[i_vi] != i_gen) : drop_reg;
wire             s_err = a_sof_reg ? 1'b0 : err_reg;
wire [OFF_W-1:0] s_cnt = a_sof_reg ? {OFF_W{1'b0}} : cnt_reg;
wire [13:0]      s_len = a_sof_reg ? 14'd0 : len_reg;
wire             use_data = !a_nodata_reg && !s_drop && !s_err;

// rotate the beat so that its first useful byte lands at position s_cnt
wire [OFF_W-1:0]        rot = s_cnt - a_lo_reg;
wire [2*DATA_WIDTH-1:0] rot2 = {a_data_reg, a_data_reg} << {rot, 3'b000};
wire [DATA_WIDTH-1:0]   r = rot2[2*DATA_WIDTH-1:DATA_WIDTH];
wire [BYTES-1:0]        keep_acc = ~({BYTES{1'b1}} << s_cnt);
reg  [DATA_WIDTH-1:0]   merged;
integer j;
always @* begin
    for (j = 0; j < BYTES; j = j + 1) begin
        merged[j*8 +: 8] = keep_acc[j] ? acc_reg[j*8 +: 8] : r[j*8 +: 8];
    end
end
wire [OFF_W+1:0] tot = {2'b00, s_cnt} + {1'b0, a_n_reg};
wire             full = tot >= {1'b0, BYTES_N};
wire [OFF_W+1:0] rest = full ? tot - {1'b0, BYTES_N} : tot;
wire [13:0]      new_len = s_len + (use_data ? {{(13-OFF_W){1'b0}}, a_n_reg} : 14'd0);

// the frame's first error: a read fault, or an error carried by the dispatcher's abort
wire read_flt = !s_drop && !s_err && a_fault_reg;
wire carried = !s_drop && !s_err && a_abort_reg && i_err != 2'd0;
wire new_err = s_err || read_flt || carried;
wire new_drop = s_drop || (a_abort_reg && !new_err);
wire bad_end = b_take && a_eof_reg && (new_err || new_drop);
wire good_end = b_take && a_eof_reg && !new_err && !new_drop;
wire rec_start = bad_end && new_err;

always @* begin
    rdflt_next = rdflt_reg;
    if (b_take && read_flt) begin
        rdflt_next[i_vi] = 1'b1;
    end
    if (cfg_vi_valid) begin
        rdflt_next[cfg_vi] = 1'b0;
    end
end

always @(posedge clk) begin
    if (b_take) begin
        drop_reg <= new_drop;
        err_reg <= new_err;
        if (read_flt || carried) begin
            err_idx_reg <= i_idx;
            err_code_reg <= read_flt ? ERR_READ : i_err;
        end
        len_reg <= new_len;
        meta_reg <= a_meta_reg;
        if (use_data) begin
            acc_reg <= full ? r : merged;
            cnt_reg <= rest[OFF_W-1:0];
        end else if (a_sof_reg) begin
            cnt_reg <= {OFF_W{1'b0}};
        end
    end

    // output beat
    o_abort <= 1'b0;
    o_eof <= 1'b0;
    o_err <= 2'd0;
    if (flush_reg) begin
        o_data <= acc_reg;
        o_eof <= 1'b1;
    end else if (rec_reg) begin
        o_eof <= 1'b1;
        o_err <= err_code_reg;
        o_idx <= err_idx_reg;
    end else if (b_take) begin
        o_data <= merged;
        o_eof <= a_eof_reg && (bad_end || rest == {(OFF_W+2){1'b0}} || !full);
        o_abort <= bad_end;
    end
    if (flush_reg || rec_reg || b_take) begin
        o_len <= flush_reg ? len_reg : rec_reg ? 14'd0 : new_len;
        {o_vi, o_gen, o_csum_ip, o_csum_l4, o_ndesc} <= (flush_reg || rec_reg) ?
            {meta_reg[M_W-1 -: VI_W+GEN_W], meta_reg[11:2]} :
            {a_meta_reg[M_W-1 -: VI_W+GEN_W], a_meta_reg[11:2]};
        if (!rec_reg) begin
            o_idx <= flush_reg ? meta_reg[12 +: 16] : i_idx;
        end
    end
    lflt_vi <= i_vi;

    if (rst) begin
        rdflt_reg <= {NUM_VI{1'b0}};
        o_valid <= 1'b0;
        flush_reg <= 1'b0;
        rec_reg <= 1'b0;
        lflt_valid <= 1'b0;
    end else begin
        rdflt_reg <= rdflt_next;
        o_valid <= flush_reg || rec_reg ||
                   (b_take && ((use_data && (full || a_eof_reg)) || bad_end));
        flush_reg <= good_end && full && rest != {(OFF_W+2){1'b0}};
        rec_reg <= rec_start;
        lflt_valid <= b_take && read_flt;
    end
end

wire unused_ok = &{1'b0, trk_bytes[12:OFF_W], rot2[DATA_WIDTH-1:0], meta_reg[1:0]};

endmodule

`default_nettype wire
