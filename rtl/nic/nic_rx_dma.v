// nic_rx_dma: RX DMA writer - frame data from the packet RAM into host buffers, then events.
//
// Takes the planner's per-frame verdicts and translated chunks (nic_rx_plan), in wire order.
//   L   per frame: DELIVER opens a completion entry and turns each chunk into one AXI4 INCR
//       write burst (AW, ID 0) plus a read job; a dropped or faulted frame discards its chunks
//       and queues a release-only job. L tracks each frame's base beat in the packet RAM.
//   R0  executes jobs one slot per cycle: reads the frame's beats from the packet RAM (1-cycle
//       read latency); the last slot of a frame's last job releases the frame's beats to the
//       parser. Slots are only issued when the W queue has room (credit), so the RAM read
//       pipeline never has to stall.
//   R1  realigns: output beat j of a chunk is bytes [rot, rot+BYTES) of {src[i], src[i-1]},
//       with byte strobes for the buffer's first and last bytes, into the W queue.
// Any byte alignment of buffers is supported. Completions: the B responses (in order, one ID;
// always accepted into a FIFO, never back-pressured) are counted against the oldest open frame; when all its bursts have completed, the RX event
// is offered on ev_* (type RX, consuming the reservation), so the event always follows the data.
// A B error instead raises a write fault (no event).
// DMA fence: every chunk's translation is retired (xlat_ret, with the chunk's epoch) when it is
// discarded or when its burst's B response arrives.
`timescale 1ns / 1ps
`default_nettype none

module nic_rx_dma #(
    parameter integer DATA_WIDTH = 512,
    parameter integer ADDR_WIDTH = 48,
    parameter integer NUM_VI = 16,
    parameter integer VI_W = $clog2(NUM_VI),
    parameter integer RAM_ADDR_W = 9,
    parameter integer OUT_LOG2 = 6,          // write bursts in flight, log2
    parameter integer CPL_LOG2 = 5           // frames awaiting their B responses, log2
) (
    input  wire                    clk,
    input  wire                    rst,

    // verdicts and chunks from nic_rx_plan
    input  wire                    s_verd_valid,
    output wire                    s_verd_ready,
    input  wire                    s_verd_deliver,
    input  wire [7:0]              s_verd_nchunks,
    input  wire [VI_W-1:0]         s_verd_vi,
    input  wire [15:0]             s_verd_len,
    input  wire [7:0]              s_verd_flags,
    input  wire [15:0]             s_verd_filter,
    input  wire [15:0]             s_verd_index,
    input  wire [7:0]              s_verd_ndesc,
    input  wire [1:0]              s_verd_epoch,
    input  wire                    s_chunk_valid,
    output wire                    s_chunk_ready,
    input  wire [ADDR_WIDTH-1:0]   s_chunk_addr,
    input  wire [15:0]             s_chunk_off,
    input  wire [12:0]             s_chunk_len,
    input  wire                    s_chunk_last,
    input  wire                    s_chunk_epoch,
    output wire [15:0]             xlat_ret,        // {epoch 1, epoch 0} retirements

    // packet RAM read port and release
    output wire                    pkt_rd_en,
    output wire [RAM_ADDR_W-1:0]   pkt_rd_addr,
    input  wire [DATA_WIDTH-1:0]   pkt_rd_data,
    output wire                    pkt_rel_valid,
    output wire [RAM_ADDR_W:0]     pkt_rel_beats,

    // AXI4 write master
    output wire [3:0]              m_axi_awid,
    output wire [ADDR_WIDTH-1:0]   m_axi_awaddr,
    output wire [7:0]              m_axi_awlen,
    output wire [2:0]              m_axi_awsize,
    output wire [1:0]              m_axi_awburst,
    output wire                    m_axi_awvalid,
    input  wire                    m_axi_awready,
    output wire [DATA_WIDTH-1:0]   m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0] m_axi_wstrb,
    output wire                    m_axi_wlast,
    output wire                    m_axi_wvalid,
    input  wire                    m_axi_wready,
    input  wire [3:0]              m_axi_bid,
    input  wire [1:0]              m_axi_bresp,
    input  wire                    m_axi_bvalid,
    output wire                    m_axi_bready,

    // events
    output wire                    ev_valid,
    input  wire                    ev_ready,
    output wire [VI_W-1:0]         ev_vi,
    output wire [3:0]              ev_type,
    output wire [7:0]              ev_code,
    output wire [15:0]             ev_index,
    output wire [15:0]             ev_len,
    output wire [15:0]             ev_filter,
    output wire [7:0]              ev_rx_flags,
    output wire [7:0]              ev_ndesc,
    output wire                    ev_reserved,
    output wire [1:0]              ev_epoch,    // the VI epoch of the frame (nic_evq checks it)

    // write-fault requests (B error)
    output wire                    bflt_valid,
    input  wire                    bflt_ready,
    output wire [VI_W-1:0]         bflt_vi,
    output wire [15:0]             bflt_index,
    output wire [1:0]              bflt_epoch,

    output wire                    stat_rx_frame,
    output wire [15:0]             stat_rx_bytes,
    output wire                    stat_drop_fault
);

/* verilator lint_off UNUSEDPARAM */
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam integer BYTES = DATA_WIDTH / 8;
localparam integer BS = $clog2(BYTES);
localparam integer WQ_LOG2 = 3;
localparam integer WQ_DEPTH = 1 << WQ_LOG2;
// job: rel, rel_beats, nread, addr0, skip_first, flush, rot, s, e, nb_out
localparam integer JOB_W = 1 + (RAM_ADDR_W + 1) + 9 + RAM_ADDR_W + 1 + 1 + (BS + 1) + BS +
                           (BS + 1) + 9;
// completion: vi, len, flags, filter, index, ndesc, bursts
localparam integer CPL_W = VI_W + 2 + 16 + 8 + 16 + 16 + 8 + 8;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0) begin
        $error("nic_rx_dma: DATA_WIDTH must be a power of two in 64..512");
        $finish;
    end
    if (OUT_LOG2 < 1 || OUT_LOG2 > 8 || CPL_LOG2 < 1 || CPL_LOG2 > 8) begin
        $error("nic_rx_dma: OUT_LOG2 and CPL_LOG2 must be 1..8");
        $finish;
    end
end

/* verilator lint_off PINCONNECTEMPTY */

// ------------------------------------------------------------------ L: verdicts and chunks
reg                    l_in_frame_reg;    // delivering a frame: taking its chunks
reg                    l_disc_reg;        // dropping a frame: discarding its chunks
reg [7:0]              l_left_reg;
reg [RAM_ADDR_W:0]     l_beats_reg;       // the frame's beats in the packet RAM
reg [RAM_ADDR_W-1:0]   l_fb_reg;          // the frame's first beat in the packet RAM
reg [OUT_LOG2:0]       out_cnt_reg;       // bursts without B response
reg                    aw_valid_reg;
reg [ADDR_WIDTH-1:0]   aw_addr_reg;
reg [7:0]              aw_len_reg;

wire jq_s_ready;
wire cpl_s_ready;

wire [16:0] v_beats_w = {1'b0, s_verd_len} + BYTES[16:0] - 17'd1;
wire [RAM_ADDR_W:0] v_beats = v_beats_w[BS+RAM_ADDR_W:BS];

// chunk alignment parameters
wire [BS-1:0]  c_s = s_chunk_addr[BS-1:0];
wire [15:0]    c_end = s_chunk_off + {3'd0, s_chunk_len} - 16'd1;
wire [15:0]    c_first = s_chunk_off >> BS;
wire [15:0]    c_last = c_end >> BS;
wire [15:0]    c_nread = c_last - c_first + 16'd1;
wire signed [17:0] c_dm1 = $signed({2'b00, s_chunk_off}) - $signed({{(18-BS){1'b0}}, c_s})
                          - 18'sd1;
wire signed [17:0] c_base = c_dm1 >>> BS;
wire [BS:0]    c_rot = {1'b0, c_dm1[BS-1:0]} + 1'b1;
wire           c_skip = c_base == $signed({2'b00, c_first});
wire [15:0]    c_sl = {{(16-BS){1'b0}}, c_s} + {3'd0, s_chunk_len};
wire [15:0]    c_nb_out = (c_sl + BYTES[15:0] - 16'd1) >> BS;
wire signed [17:0] c_emits = $signed({2'b00, c_last}) - c_base;
wire           c_flush = $signed({2'b00, c_nb_out}) > c_emits;
wire [15:0]    c_sl1 = c_sl - 16'd1;
wire [BS:0]    c_e = {1'b0, c_sl1[BS-1:0]} + 1'b1;
wire [RAM_ADDR_W-1:0] c_addr0 = l_fb_reg + c_first[RAM_ADDR_W-1:0];

wire aw_free = !aw_valid_reg || m_axi_awready;
wire out_room = out_cnt_reg < (1 << OUT_LOG2);

wire l_idle = !l_in_frame_reg && !l_disc_reg;
wire l_take_deliver = l_idle && s_verd_valid && s_verd_deliver && cpl_s_ready;
wire l_take_drop = l_idle && s_verd_valid && !s_verd_deliver;
wire l_chunk = l_in_frame_reg && s_chunk_valid && jq_s_ready && aw_free && out_room;
wire l_disc_chunk = l_disc_reg && l_left_reg != 8'd0 && s_chunk_valid;
wire l_drop_rel = l_disc_reg && l_left_reg == 8'd0 && jq_s_ready;

assign s_verd_ready = l_take_deliver || l_take_drop;
assign s_chunk_ready = l_chunk || l_disc_chunk;

wire jq_push = l_chunk || l_drop_rel;
wire [JOB_W-1:0] jq_s_data = l_chunk ?
    {s_chunk_last, l_beats_reg, c_nread[8:0], c_addr0, c_skip, c_flush, c_rot, c_s, c_e,
     c_nb_out[8:0]} :
    {1'b1, l_beats_reg, 9'd0, l_fb_reg, 1'b0, 1'b0, {(BS+1){1'b0}}, {BS{1'b0}},
     {(BS+1){1'b0}}, 9'd0};

// B responses are always taken into b_fifo (it has room for every burst in flight) and consumed
// from there by the completion logic below. The write channel is shared through nic_axi_wr_arb
// and the memory answers in order across masters: a B held back here while this frame's event
// waits for the event queue would block the event queue's own B responses behind it, and the
// event queue then never frees the room this frame waits for (a deadlock).
wire b_err;       // oldest unconsumed response was SLVERR/DECERR
wire b_valid;
wire b_fire;      // the completion logic consumes one response
nic_fifo #(.WIDTH(1), .DEPTH_LOG2(OUT_LOG2)) b_fifo (
    .clk(clk), .rst(rst),
    .s_data(m_axi_bresp[1]), .s_valid(m_axi_bvalid), .s_ready(m_axi_bready),
    .m_data(b_err), .m_valid(b_valid), .m_ready(b_fire),
    .count()
);

// fence epochs of the bursts in flight, in order (at most 2^OUT_LOG2, as out_room allows)
wire b_arrive = m_axi_bvalid && m_axi_bready;
wire b_epoch, b_epoch_valid_unused, ep_s_ready_unused;
nic_fifo #(.WIDTH(1), .DEPTH_LOG2(OUT_LOG2)) ep_fifo (
    .clk(clk), .rst(rst),
    .s_data(s_chunk_epoch), .s_valid(l_chunk), .s_ready(ep_s_ready_unused),
    .m_data(b_epoch), .m_valid(b_epoch_valid_unused), .m_ready(b_arrive),
    .count()
);
assign xlat_ret[7:0] = {7'd0, l_disc_chunk && !s_chunk_epoch} + {7'd0, b_arrive && !b_epoch};
assign xlat_ret[15:8] = {7'd0, l_disc_chunk && s_chunk_epoch} + {7'd0, b_arrive && b_epoch};

always @(posedge clk) begin
    if (s_verd_valid && s_verd_ready) begin
        l_beats_reg <= v_beats;
        l_left_reg <= s_verd_nchunks;
    end
    if (l_disc_chunk) begin
        l_left_reg <= l_left_reg - 8'd1;
    end
    if (l_chunk) begin
        aw_addr_reg <= {s_chunk_addr[ADDR_WIDTH-1:BS], {BS{1'b0}}};
        aw_len_reg <= c_nb_out[7:0] - 8'd1;
    end
    if (rst) begin
        l_in_frame_reg <= 1'b0;
        l_disc_reg <= 1'b0;
        l_fb_reg <= {RAM_ADDR_W{1'b0}};
        aw_valid_reg <= 1'b0;
        out_cnt_reg <= {(OUT_LOG2+1){1'b0}};
    end else begin
        if (l_take_deliver) begin
            l_in_frame_reg <= 1'b1;
        end else if (l_chunk && s_chunk_last) begin
            l_in_frame_reg <= 1'b0;
        end
        if (l_take_drop) begin
            l_disc_reg <= 1'b1;
        end else if (l_drop_rel) begin
            l_disc_reg <= 1'b0;
        end
        if ((l_chunk && s_chunk_last) || l_drop_rel) begin
            l_fb_reg <= l_fb_reg + l_beats_reg[RAM_ADDR_W-1:0];
        end
        if (l_chunk) begin
            aw_valid_reg <= 1'b1;
        end else if (m_axi_awready) begin
            aw_valid_reg <= 1'b0;
        end
        out_cnt_reg <= out_cnt_reg + {{OUT_LOG2{1'b0}}, l_chunk} - {{OUT_LOG2{1'b0}}, b_fire};
    end
end

assign m_axi_awid = 4'd0;
assign m_axi_awaddr = aw_addr_reg;
assign m_axi_awlen = aw_len_reg;
assign m_axi_awsize = BS[2:0];
assign m_axi_awburst = 2'b01;
assign m_axi_awvalid = aw_valid_reg;

// ------------------------------------------------------------------ job queue
wire [JOB_W-1:0] jq_m_data;
wire             jq_m_valid;
wire             jq_pop;
nic_fifo #(.WIDTH(JOB_W), .DEPTH_LOG2(1)) job_fifo (
    .clk(clk), .rst(rst),
    .s_data(jq_s_data), .s_valid(jq_push), .s_ready(jq_s_ready),
    .m_data(jq_m_data), .m_valid(jq_m_valid), .m_ready(jq_pop),
    .count()
);

wire                  j_rel;
wire [RAM_ADDR_W:0]   j_rel_beats;
wire [8:0]            j_nread;
wire [RAM_ADDR_W-1:0] j_addr0;
wire                  j_skip;
wire                  j_flush;
wire [BS:0]           j_rot;
wire [BS-1:0]         j_s;
wire [BS:0]           j_e;
wire [8:0]            j_nb_out;
assign {j_rel, j_rel_beats, j_nread, j_addr0, j_skip, j_flush, j_rot, j_s, j_e, j_nb_out} =
    jq_m_data;

// ------------------------------------------------------------------ R0: read slots
reg [8:0]  r0_k_reg;     // slot within the job
reg [8:0]  r0_j_reg;     // output beat within the job
reg        rel_valid_reg;
reg [RAM_ADDR_W:0] rel_beats_reg;

reg                r1_valid_reg;
reg                r1_read_reg;
reg                r1_emit_reg;
reg                r1_first_reg;
reg                r1_last_reg;
reg [BS:0]         r1_rot_reg;
reg [BS-1:0]       r1_s_reg;
reg [BS:0]         r1_e_reg;

wire [WQ_LOG2:0] wq_count;
wire [9:0] j_total = {1'b0, j_nread} + {9'd0, j_flush};
wire j_empty = j_total == 10'd0;
wire [WQ_LOG2+1:0] wq_need = {1'b0, wq_count} + {{(WQ_LOG2+1){1'b0}}, r1_valid_reg} +
                            {{(WQ_LOG2+1){1'b0}}, 1'b1};
wire credit = wq_need <= WQ_DEPTH[WQ_LOG2+1:0];
wire r0_go = jq_m_valid && (j_empty || credit);
wire r0_slot = r0_go && !j_empty;
wire r0_is_read = {1'b0, r0_k_reg} < {1'b0, j_nread};
wire r0_emit = !r0_is_read || !(r0_k_reg == 9'd0 && j_skip);
wire r0_last = j_empty || ({1'b0, r0_k_reg} == j_total - 10'd1);
assign jq_pop = r0_go && r0_last;

assign pkt_rd_en = r0_slot && r0_is_read;
wire [RAM_ADDR_W-1:0] r0_k_ext;
generate
    if (RAM_ADDR_W > 9) begin : g_k_ext
        assign r0_k_ext = {{(RAM_ADDR_W-9){1'b0}}, r0_k_reg};
    end else begin : g_k_same
        assign r0_k_ext = r0_k_reg[RAM_ADDR_W-1:0];
    end
endgenerate
assign pkt_rd_addr = j_addr0 + r0_k_ext;

always @(posedge clk) begin
    r1_read_reg <= r0_is_read;
    r1_emit_reg <= r0_emit;
    r1_first_reg <= r0_j_reg == 9'd0;
    r1_last_reg <= r0_j_reg == j_nb_out - 9'd1;
    r1_rot_reg <= j_rot;
    r1_s_reg <= j_s;
    r1_e_reg <= j_e;
    rel_beats_reg <= j_rel_beats;
    if (rst) begin
        r0_k_reg <= 9'd0;
        r0_j_reg <= 9'd0;
        r1_valid_reg <= 1'b0;
        rel_valid_reg <= 1'b0;
    end else begin
        r1_valid_reg <= r0_slot;
        rel_valid_reg <= jq_pop && j_rel;
        if (r0_go) begin
            if (r0_last) begin
                r0_k_reg <= 9'd0;
                r0_j_reg <= 9'd0;
            end else begin
                r0_k_reg <= r0_k_reg + 9'd1;
                r0_j_reg <= r0_j_reg + {8'd0, r0_emit};
            end
        end
    end
end

assign pkt_rel_valid = rel_valid_reg;
assign pkt_rel_beats = rel_beats_reg;

// ------------------------------------------------------------------ R1: realign
reg [DATA_WIDTH-1:0] prev_reg;
wire [DATA_WIDTH-1:0] r1_cur = r1_read_reg ? pkt_rd_data : {DATA_WIDTH{1'b0}};
wire [2*DATA_WIDTH-1:0] r1_both = {r1_cur, prev_reg};
wire [2*DATA_WIDTH-1:0] r1_shift = r1_both >> {r1_rot_reg, 3'b000};
wire [DATA_WIDTH-1:0] r1_data = r1_shift[DATA_WIDTH-1:0];

reg [BYTES-1:0] r1_strb;
integer sb;
always @* begin
    for (sb = 0; sb < BYTES; sb = sb + 1) begin
        r1_strb[sb] = (!r1_first_reg || sb >= r1_s_reg) && (!r1_last_reg || sb < r1_e_reg);
    end
end

always @(posedge clk) begin
    if (r1_valid_reg && r1_read_reg) begin
        prev_reg <= pkt_rd_data;
    end
end

wire wq_push = r1_valid_reg && r1_emit_reg;
nic_fifo #(.WIDTH(DATA_WIDTH + BYTES + 1), .DEPTH_LOG2(WQ_LOG2)) w_fifo (
    .clk(clk), .rst(rst),
    .s_data({r1_data, r1_strb, r1_last_reg}), .s_valid(wq_push), .s_ready(),
    .m_data({m_axi_wdata, m_axi_wstrb, m_axi_wlast}), .m_valid(m_axi_wvalid),
    .m_ready(m_axi_wready),
    .count(wq_count)
);

// ------------------------------------------------------------------ completions and events
wire [CPL_W-1:0] cpl_m_data;
wire             cpl_m_valid;
wire             cpl_pop;
nic_fifo #(.WIDTH(CPL_W), .DEPTH_LOG2(CPL_LOG2)) cpl_fifo (
    .clk(clk), .rst(rst),
    .s_data({s_verd_vi, s_verd_epoch, s_verd_len, s_verd_flags, s_verd_filter, s_verd_index,
             s_verd_ndesc, s_verd_nchunks}),
    .s_valid(l_take_deliver), .s_ready(cpl_s_ready),
    .m_data(cpl_m_data), .m_valid(cpl_m_valid), .m_ready(cpl_pop),
    .count()
);

wire [VI_W-1:0] h_vi;
wire [1:0]      h_epoch;
wire [15:0]     h_len;
wire [7:0]      h_flags;
wire [15:0]     h_filter;
wire [15:0]     h_index;
wire [7:0]      h_ndesc;
wire [7:0]      h_bursts;
assign {h_vi, h_epoch, h_len, h_flags, h_filter, h_index, h_ndesc, h_bursts} = cpl_m_data;

reg [7:0] c_cnt_reg;
reg       c_done_reg;
reg       c_err_reg;
reg       bflt_valid_reg;
reg [VI_W-1:0] bflt_vi_reg;
reg [15:0] bflt_index_reg;
reg [1:0]  bflt_epoch_reg;
assign bflt_epoch = bflt_epoch_reg;
reg       st_frame_reg;
reg [15:0] st_bytes_reg;
reg       st_fault_reg;

wire bflt_free = !bflt_valid_reg || bflt_ready;
assign b_fire = b_valid && cpl_m_valid && !c_done_reg;
wire c_ev_fire = c_done_reg && !c_err_reg && ev_ready;
wire c_flt_fire = c_done_reg && c_err_reg && bflt_free;
assign cpl_pop = c_ev_fire || c_flt_fire;

always @(posedge clk) begin
    if (c_flt_fire) begin
        bflt_vi_reg <= h_vi;
        bflt_index_reg <= h_index;
        bflt_epoch_reg <= h_epoch;
    end
    st_bytes_reg <= h_len;
    if (rst) begin
        c_cnt_reg <= 8'd0;
        c_done_reg <= 1'b0;
        c_err_reg <= 1'b0;
        bflt_valid_reg <= 1'b0;
        st_frame_reg <= 1'b0;
        st_fault_reg <= 1'b0;
    end else begin
        if (b_fire) begin
            c_err_reg <= c_err_reg || b_err;
            if (c_cnt_reg + 8'd1 == h_bursts) begin
                c_done_reg <= 1'b1;
                c_cnt_reg <= 8'd0;
            end else begin
                c_cnt_reg <= c_cnt_reg + 8'd1;
            end
        end
        if (cpl_pop) begin
            c_done_reg <= 1'b0;
            c_err_reg <= 1'b0;
        end
        if (c_flt_fire) begin
            bflt_valid_reg <= 1'b1;
        end else if (bflt_ready) begin
            bflt_valid_reg <= 1'b0;
        end
        st_frame_reg <= c_ev_fire;
        st_fault_reg <= c_flt_fire;
    end
end

assign ev_valid = c_done_reg && !c_err_reg;
assign ev_vi = h_vi;
assign ev_type = EV_TYPE_RX[3:0];
assign ev_code = 8'd0;
assign ev_index = h_index;
assign ev_len = h_len;
assign ev_filter = h_filter;
assign ev_rx_flags = h_flags;
assign ev_ndesc = h_ndesc;
assign ev_reserved = 1'b1;
assign ev_epoch = h_epoch;

assign bflt_valid = bflt_valid_reg;
assign bflt_vi = bflt_vi_reg;
assign bflt_index = bflt_index_reg;
assign stat_rx_frame = st_frame_reg;
assign stat_rx_bytes = st_bytes_reg;
assign stat_drop_fault = st_fault_reg;

/* verilator lint_on PINCONNECTEMPTY */

/* verilator lint_off UNUSEDSIGNAL */
wire unused_ok = |{m_axi_bid, m_axi_bresp[0], v_beats_w, c_first[15:RAM_ADDR_W], c_nread[15:9],
                   c_nb_out[15:9], c_sl1[15:BS], r1_shift[2*DATA_WIDTH-1:DATA_WIDTH]};
/* verilator lint_on UNUSEDSIGNAL */

endmodule

`default_nettype wire
