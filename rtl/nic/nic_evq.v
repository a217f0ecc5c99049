// nic_evq: per-VI event queues in host memory, event reservations, faults and interrupts.
//
// Event sources (TX completions, TX errors, RX, RX errors: EV_PORTS streams) and reservation
// requesters (TX, RX: RSV_PORTS) are arbitrated round-robin; one reservation or one event is
// processed per cycle against the VI's state, kept in RAMs indexed by VI:
//   reservation: ok when the VI is enabled and size - (producer - read index) - reservations > 0;
//                then the VI's reservation count grows by one. The answer comes back on the
//                requesting port one cycle after the request was accepted (rsv_resp_valid).
//   event:       ev_reserved=1 consumes one reservation. An ERROR event zeroes the VI's
//                reservations (the VI is being faulted, its reserved work is abandoned) and is
//                broadcast on flt_* (the VI's fault). A VI has one fault per configuration: an
//                ERROR event for a VI already faulted (work of both paths may fail at once) is
//                discarded, so the first error is the one its host sees. Any event is written
//                only when the queue has room, else it is counted in EVENTS_LOST; nothing is
//                ever overwritten.
// A written event takes slot producer & (size-1) at IOVA base + 16*slot with the phase bit
// (1 in the first lap) in its last beat; the address goes through this block's buffer-table port
// with the VI's owner. A refused translation loses the event, marks the queue dead (no more
// events, no reservations) and broadcasts fault ERR_EVQ_FAULT for the VI.
//
// Interrupts: irq[v] is a level line. An EVQ_READ doorbell stores the read index, clears the
// line (acknowledge) and, with bit 31 set, arms it. An armed VI whose queue holds an event that
// has been written to memory (B response seen) and is unread (written count ahead of the read
// index, never behind it) fires: line set, disarmed, and the next firing waits at least
// VI_IRQ_MOD cycles. A scanner visits one VI per cycle.
//
// Generations: every configuration commit of a VI (enable or disable) starts a new generation
// of it (GEN_W bits, counted the same way as by the TX engine). An event source that knows the
// generation its event belongs to gives it (ev_gen, with ev_gen_valid); an event of an earlier
// generation is discarded, never written: the VI's fresh queue sees nothing of its old
// configuration. Writes queued before a commit are discarded the same way until their address
// is offered on AW, and the B responses of writes already issued are not counted for the new
// generation. The ports of EPOCH_PORTS give the VI's epoch instead (2 bits, advanced by enabling
// commits only, as the RX path counts it), checked the same way.
//
// DMA fence: each event's translation carries its fence epoch (events of different epochs never
// share a burst) and is retired (xlat_ret) when the event is abandoned after translation
// (refused, dead queue, stale) or its write's B response arrives (a burst retires all its events).
//
// sts_evq_prod: events written (B seen) of VI sts_vi, registered. sts_evq_busy: event writes
// of VI sts_vi in the line buffer or issued and not yet answered (of any generation),
// registered: once a VI is
// disabled no new ones start, so a driver that waits for this to clear knows that no event write
// can land in the VI's queue memory any more.
`timescale 1ns / 1ps
`default_nettype none

module nic_evq #(
    parameter integer NUM_VI = 16,
    parameter integer VI_W = $clog2(NUM_VI),
    parameter integer ADDR_WIDTH = 48,
    parameter integer DATA_WIDTH = 512,
    parameter integer RSV_PORTS = 2,
    parameter integer EV_PORTS = 4,
    parameter integer MERGE_HOLD = 32,      // cycles a part-filled event beat may wait (0: never)
    parameter integer GEN_W = 4,            // configuration generation bits (as nic_tx_out's)
    // ports whose ev_gen is instead the VI's 2-bit epoch, which only enabling commits advance
    // (as the RX path counts them, nic_rx_desc_fetch)
    parameter [EV_PORTS-1:0] EPOCH_PORTS = {EV_PORTS{1'b0}}
) (
    input  wire                        clk,
    input  wire                        rst,

    // configuration commit and doorbells (from nic_regs)
    input  wire                        cfg_vi_valid,
    input  wire [VI_W-1:0]             cfg_vi,
    input  wire                        cfg_vi_enable,
    input  wire [15:0]                 cfg_vi_owner,
    input  wire [63:0]                 cfg_vi_evq_base,
    input  wire [3:0]                  cfg_vi_evq_log2,
    input  wire [31:0]                 cfg_vi_irq_mod,
    input  wire                        db_valid,
    input  wire [VI_W-1:0]             db_vi,
    input  wire [1:0]                  db_kind,
    input  wire [31:0]                 db_value,

    // reservations
    input  wire [RSV_PORTS-1:0]        rsv_req_valid,
    output wire [RSV_PORTS-1:0]        rsv_req_ready,
    input  wire [RSV_PORTS*VI_W-1:0]   rsv_req_vi,
    output reg  [RSV_PORTS-1:0]        rsv_resp_valid,
    output reg  [RSV_PORTS-1:0]        rsv_resp_ok,

    // events
    input  wire [EV_PORTS-1:0]         ev_valid,
    output wire [EV_PORTS-1:0]         ev_ready,
    input  wire [EV_PORTS*VI_W-1:0]    ev_vi,
    input  wire [EV_PORTS*4-1:0]       ev_type,
    input  wire [EV_PORTS*8-1:0]       ev_code,
    input  wire [EV_PORTS*16-1:0]      ev_index,
    input  wire [EV_PORTS*16-1:0]      ev_len,
    input  wire [EV_PORTS*16-1:0]      ev_filter,
    input  wire [EV_PORTS*8-1:0]       ev_rx_flags,
    input  wire [EV_PORTS*8-1:0]       ev_ndesc,
    input  wire [EV_PORTS-1:0]         ev_reserved,
    input  wire [EV_PORTS-1:0]         ev_gen_valid,  // the event says its VI generation
    input  wire [EV_PORTS*GEN_W-1:0]   ev_gen,

    // fault broadcast
    output reg                         flt_valid,
    output reg  [VI_W-1:0]             flt_vi,
    output reg  [7:0]                  flt_code,
    output reg  [15:0]                 flt_index,

    // buffer-table translate port
    output wire                        xlat_req_valid,
    input  wire                        xlat_req_ready,
    output wire [63:0]                 xlat_req_iova,
    output wire [15:0]                 xlat_req_owner,
    output wire [15:0]                 xlat_req_len,
    input  wire                        xlat_resp_valid,
    output wire                        xlat_resp_ready,
    input  wire [ADDR_WIDTH-1:0]       xlat_resp_addr,
    input  wire                        xlat_resp_fault,
    input  wire                        xlat_resp_epoch,
    output wire [15:0]                 xlat_ret,      // {epoch 1, epoch 0} retirements

    // AXI4 write master (event writes), ID 0
    output wire [3:0]                  m_axi_awid,
    output wire [ADDR_WIDTH-1:0]       m_axi_awaddr,
    output wire [7:0]                  m_axi_awlen,
    output wire [2:0]                  m_axi_awsize,
    output wire [1:0]                  m_axi_awburst,
    output wire                        m_axi_awvalid,
    input  wire                        m_axi_awready,
    output wire [DATA_WIDTH-1:0]       m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]     m_axi_wstrb,
    output wire                        m_axi_wlast,
    output wire                        m_axi_wvalid,
    input  wire                        m_axi_wready,
    input  wire [3:0]                  m_axi_bid,
    input  wire [1:0]                  m_axi_bresp,
    input  wire                        m_axi_bvalid,
    output wire                        m_axi_bready,
    input  wire                        aw_contend,   // another engine waits to write (merge hint)

    output wire [NUM_VI-1:0]           irq,

    input  wire [VI_W-1:0]             sts_vi,
    output reg  [15:0]                 sts_evq_prod,
    output reg                         sts_evq_busy,

    // statistics pulses
    output reg                         stat_events,
    output reg                         stat_events_lost,
    output reg                         stat_dma_faults
);

/* verilator lint_off UNUSEDPARAM */  // generated header: only some constants are used here
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam integer BYTES = DATA_WIDTH / 8;
localparam integer OFF_W = $clog2(BYTES);
localparam integer BEATS = (BYTES >= 16) ? 1 : 16 / BYTES;   // beats per event write
localparam integer RSEL_W = (RSV_PORTS > 1) ? $clog2(RSV_PORTS) : 1;
localparam integer ESEL_W = (EV_PORTS > 1) ? $clog2(EV_PORTS) : 1;
localparam [3:0] TYPE_ERROR = EV_TYPE_ERROR[3:0];
localparam [7:0] CODE_EVQ_FAULT = ERR_EVQ_FAULT[7:0];
localparam integer Q_W = GEN_W + VI_W + 16 + 16 + 64 + 128; // {gen, vi, slot, owner, iova, event}
localparam integer BEATS_M1 = BEATS - 1;
localparam integer NUM_VI_M1 = NUM_VI - 1;
localparam [7:0] AWLEN = BEATS_M1[7:0];
localparam [1:0] LAST_BEAT = BEATS_M1[1:0];
localparam [VI_W-1:0] LAST_VI = NUM_VI_M1[VI_W-1:0];
localparam integer S_W = GEN_W + VI_W + 16 + 128;  // after translation: {gen, vi, slot, event}
localparam integer W_W = GEN_W + VI_W + ADDR_WIDTH + 128; // ready to issue: {gen, vi, addr, event}
localparam [0:0] MERGE = (BYTES >= 32) ? 1'b1 : 1'b0;  // several events per beat
localparam integer EPB = (BYTES >= 16) ? BYTES / 16 : 1;  // events per beat
localparam integer SLOT_W = (EPB > 1) ? $clog2(EPB) : 1;
localparam integer CNT_W = $clog2(EPB) + 1;

initial begin
    if (NUM_VI < 2 || NUM_VI > 256 || (1 << VI_W) < NUM_VI || DATA_WIDTH < 64 ||
            DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0 || RSV_PORTS < 1 ||
            EV_PORTS < 1 || ADDR_WIDTH < 32 || ADDR_WIDTH > 64 || MERGE_HOLD < 0 ||
            MERGE_HOLD > 255) begin
        $error("nic_evq: impossible configuration");
        $finish;
    end
end

// ------------------------------------------------------------------------------ per-VI state

reg [63:0] base_mem [0:NUM_VI-1];
reg [3:0]  log2_mem [0:NUM_VI-1];
reg [15:0] owner_mem [0:NUM_VI-1];
reg [31:0] mod_mem [0:NUM_VI-1];
reg [15:0] prod_mem [0:NUM_VI-1];     // next slot to allocate
reg [15:0] rd_mem [0:NUM_VI-1];       // host's read index (EVQ_READ doorbell)
reg [16:0] rsv_mem [0:NUM_VI-1];      // outstanding reservations
reg [15:0] done_mem [0:NUM_VI-1];     // events whose write completed
reg [31:0] fire_mem [0:NUM_VI-1];     // cycle of the last interrupt
reg [GEN_W-1:0] gen_mem [0:NUM_VI-1]; // configuration generation: every commit
reg [1:0]       ep_mem [0:NUM_VI-1];  // epoch: enabling commits
integer gi;
initial begin
    for (gi = 0; gi < NUM_VI; gi = gi + 1) begin
        gen_mem[gi] = {GEN_W{1'b0}};
        ep_mem[gi] = 2'd0;
    end
end

reg [NUM_VI-1:0] enabled_reg, enabled_next;
reg [NUM_VI-1:0] dead_reg, dead_next;
reg [NUM_VI-1:0] faulted_reg, faulted_next;  // an error since the last commit
reg [NUM_VI-1:0] armed_reg, armed_next;
reg [NUM_VI-1:0] irq_reg, irq_next;

reg [31:0] now_reg;

assign irq = irq_reg;

// ------------------------------------------------------------------------------ operation unit

wire             rsv_any, ev_any;
wire [RSEL_W-1:0] rsv_sel;
wire [ESEL_W-1:0] ev_sel;
reg  [RSEL_W-1:0] rsv_last_reg;
reg  [ESEL_W-1:0] ev_last_reg;
reg               pri_ev_reg;

nic_rr_pick #(.N(RSV_PORTS), .SEL_W(RSEL_W)) rsv_pick (
    .req(rsv_req_valid), .last(rsv_last_reg), .any(rsv_any), .sel(rsv_sel));
nic_rr_pick #(.N(EV_PORTS), .SEL_W(ESEL_W)) ev_pick (
    .req(ev_valid), .last(ev_last_reg), .any(ev_any), .sel(ev_sel));

wire       q_ready;     // write queue has room
// one operation per cycle; reservations and events alternate when both wait
wire do_ev = !cfg_vi_valid && ev_any && q_ready && (pri_ev_reg || !rsv_any);
wire do_rsv = !cfg_vi_valid && rsv_any && !do_ev;

assign ev_ready = do_ev ? ({{(EV_PORTS-1){1'b0}}, 1'b1} << ev_sel) : {EV_PORTS{1'b0}};
assign rsv_req_ready = do_rsv ? ({{(RSV_PORTS-1){1'b0}}, 1'b1} << rsv_sel) : {RSV_PORTS{1'b0}};

wire [VI_W-1:0] op_vi = do_ev ? ev_vi[ev_sel*VI_W +: VI_W] : rsv_req_vi[rsv_sel*VI_W +: VI_W];
wire [15:0] op_prod = prod_mem[op_vi];
wire [15:0] op_used = op_prod - rd_mem[op_vi];
wire [16:0] op_rsv = rsv_mem[op_vi];
wire [3:0]  op_log2 = log2_mem[op_vi];
wire [16:0] op_size = 17'd1 << op_log2;
wire        op_live = enabled_reg[op_vi] && !dead_reg[op_vi];

wire [3:0]  e_type = ev_type[ev_sel*4 +: 4];
wire        e_err = e_type == TYPE_ERROR;
wire        e_rsv = ev_reserved[ev_sel];
wire [GEN_W-1:0] op_gen = gen_mem[op_vi];
// an event of an earlier configuration of its VI: discarded, it changes nothing
wire [GEN_W-1:0] e_gen = ev_gen[ev_sel*GEN_W +: GEN_W];
wire        e_stale = ev_gen_valid[ev_sel] &&
                      (EPOCH_PORTS[ev_sel] ? e_gen[1:0] != ep_mem[op_vi] : e_gen != op_gen);
// discarded (it changes nothing): stale, or a second error of a faulted VI
wire        e_skip = e_stale || (e_err && faulted_reg[op_vi]);
wire [16:0] e_rsv_after = e_err ? 17'd0 : (e_rsv && op_rsv != 17'd0) ? op_rsv - 17'd1 : op_rsv;
wire        e_room = ({1'b0, op_used} + e_rsv_after) < op_size;
wire        e_write = op_live && e_room && !e_skip;
wire        e_lost = do_ev && !e_write && !e_skip;
wire        e_flt = do_ev && e_err && enabled_reg[op_vi] && !e_skip;
wire        r_ok = op_live && (({1'b0, op_used} + op_rsv) < op_size);

// the 16-byte event record
wire [15:0] slot = op_prod & (op_size[15:0] - 16'd1);
wire        phase = !(|(({1'b0, op_prod} >> op_log2) & 17'd1));
reg [127:0] e_rec;
always @* begin
    e_rec = 128'd0;
    e_rec[EV_TYPE_LSB +: 4] = e_type;
    e_rec[EV_CODE_LSB +: 8] = ev_code[ev_sel*8 +: 8];
    e_rec[EV_INDEX_LSB +: 16] = ev_index[ev_sel*16 +: 16];
    e_rec[EV_LEN_LSB +: 16] = ev_len[ev_sel*16 +: 16];
    e_rec[EV_FILTER_LSB +: 16] = ev_filter[ev_sel*16 +: 16];
    e_rec[EV_VI_LSB +: 8] = {{(8-VI_W){1'b0}}, op_vi};
    e_rec[EV_RX_FLAGS_LSB +: 8] = ev_rx_flags[ev_sel*8 +: 8];
    e_rec[EV_NDESC_LSB +: 8] = ev_ndesc[ev_sel*8 +: 8];
    e_rec[EV_PHASE_LSB] = phase;
end
wire [63:0] e_iova = base_mem[op_vi] + {44'd0, slot, 4'd0};

wire q_push = do_ev && e_write;
wire [Q_W-1:0] q_in = {op_gen, op_vi, slot, owner_mem[op_vi], e_iova, e_rec};

always @(posedge clk) begin
    // reservation answers
    if (rst) begin
        rsv_resp_valid <= {RSV_PORTS{1'b0}};
    end else begin
        rsv_resp_valid <= rsv_req_ready;
    end
    rsv_resp_ok <= r_ok ? rsv_req_ready : {RSV_PORTS{1'b0}};
    if (rst) begin
        rsv_last_reg <= {RSEL_W{1'b1}};
        ev_last_reg <= {ESEL_W{1'b1}};
        pri_ev_reg <= 1'b0;
    end else begin
        if (do_rsv) begin
            rsv_last_reg <= rsv_sel;
            pri_ev_reg <= 1'b1;
        end
        if (do_ev) begin
            ev_last_reg <= ev_sel;
            pri_ev_reg <= 1'b0;
        end
    end
end

// ------------------------------------------------------------------------------ write pipeline
// queue -> translate (with sideband) -> AW/W issue -> B

wire [Q_W-1:0] q_out;
wire [3:0]     q_count_unused;
wire [2:0]     s_count_unused, w_count_unused;
wire [5:0]     b_count_unused;
wire           q_valid;
wire           q_pop;
nic_fifo #(.WIDTH(Q_W), .DEPTH_LOG2(3)) q_fifo (
    .clk(clk), .rst(rst),
    .s_data(q_in), .s_valid(q_push), .s_ready(q_ready),
    .m_data(q_out), .m_valid(q_valid), .m_ready(q_pop), .count(q_count_unused));

wire [S_W-1:0] s_in = {q_out[Q_W-1 -: GEN_W + VI_W], q_out[128 + 64 + 16 +: 16], q_out[127:0]};
wire [S_W-1:0] s_out;
wire           s_ready, s_valid, s_pop;
nic_fifo #(.WIDTH(S_W), .DEPTH_LOG2(2)) s_fifo (
    .clk(clk), .rst(rst),
    .s_data(s_in), .s_valid(q_pop), .s_ready(s_ready),
    .m_data(s_out), .m_valid(s_valid), .m_ready(s_pop), .count(s_count_unused));

assign xlat_req_valid = q_valid && s_ready;
assign q_pop = xlat_req_valid && xlat_req_ready;
assign xlat_req_iova = q_out[128 +: 64];
assign xlat_req_owner = q_out[128 + 64 +: 16];
assign xlat_req_len = 16'd16;

wire [GEN_W-1:0] x_gen = s_out[S_W-1 -: GEN_W];
wire [VI_W-1:0] x_vi = s_out[S_W-1-GEN_W -: VI_W];
wire [127:0]    x_rec = s_out[127:0];
wire            x_stale = x_gen != gen_mem[x_vi];   // its VI was reconfigured meanwhile
wire            w_ready;
// translate result: fault -> queue dead; stalls while the operation unit uses flt or counts a loss
wire x_block = e_flt || e_lost;
wire x_go = xlat_resp_valid && s_valid && !x_block && (xlat_resp_fault || x_stale || w_ready);
assign xlat_resp_ready = x_go;
assign s_pop = x_go;
wire x_drop = x_go && !x_stale && (xlat_resp_fault || dead_reg[x_vi]);
wire x_fault = x_go && !x_stale && xlat_resp_fault && !dead_reg[x_vi];
wire w_push = x_go && !x_stale && !xlat_resp_fault && !dead_reg[x_vi];

wire [W_W-1:0] w_in = {x_gen, x_vi, xlat_resp_addr, x_rec};
wire [W_W-1:0] w_out;
wire           wo_epoch;
wire           w_valid, w_pop;
nic_fifo #(.WIDTH(W_W + 1), .DEPTH_LOG2(2)) w_fifo (
    .clk(clk), .rst(rst),
    .s_data({xlat_resp_epoch, w_in}), .s_valid(w_push), .s_ready(w_ready),
    .m_data({wo_epoch, w_out}), .m_valid(w_valid), .m_ready(w_pop), .count(w_count_unused));

wire [GEN_W-1:0]      wo_gen = w_out[W_W-1 -: GEN_W];
wire [VI_W-1:0]       wo_vi = w_out[W_W-1-GEN_W -: VI_W];
wire                  wo_stale = wo_gen != gen_mem[wo_vi];
wire [ADDR_WIDTH-1:0] wo_addr = w_out[128 +: ADDR_WIDTH];
wire [127:0]          wo_rec = w_out[127:0];

// Line buffer: the write burst being assembled. At DATA_WIDTH >= 256 a beat holds several
// events; further events of the same VI for the next slots of the same beat join the burst
// until its AW is accepted (so AW and W payloads never change while offered), and one burst
// then writes them all (the memory sees far fewer bursts when events come fast). While another
// engine is waiting to write (aw_contend) a burst that does not fill its beat holds back its AW
// for up to MERGE_HOLD cycles for more events, unless the next queued event cannot join.
reg                   lb_valid_reg;
reg                   lb_req_reg;      // AW offered (stays offered until accepted)
reg [VI_W-1:0]        lb_vi_reg;
reg [GEN_W-1:0]       lb_gen_reg;
reg                   lb_epoch_reg;    // fence epoch of its events' translations
reg [ADDR_WIDTH-1:0]  lb_addr_reg;     // address of the first event
reg [SLOT_W-1:0]      lb_last_reg;     // wide: slot (16-byte unit) of the last event in the beat
reg [CNT_W-1:0]       lb_cnt_reg;      // events in the burst
reg [7:0]             lb_age_reg;

reg       aw_done_reg, aw_done_next;
reg       w_sent_reg, w_sent_next;     // every W beat taken, the AW not yet
reg [1:0] w_beat_reg, w_beat_next;
wire      b_ready;    // B-tracking FIFO has room
wire      aw_fire;
wire      w_done;

wire [SLOT_W-1:0] wo_slot;
generate
if (MERGE) begin : g_slot
    assign wo_slot = wo_addr[OFF_W-1:4];
end else begin : g_slot_none
    assign wo_slot = 1'b0;
end
endgenerate
wire lb_full = !MERGE || lb_last_reg == {SLOT_W{1'b1}};
// the head of w_fifo can join the burst: same VI, same beat, the next slot
wire wo_joins = MERGE && w_valid && !wo_stale && lb_valid_reg && !lb_full && wo_vi == lb_vi_reg &&
                wo_gen == lb_gen_reg && wo_epoch == lb_epoch_reg &&
                wo_addr[ADDR_WIDTH-1:OFF_W] == lb_addr_reg[ADDR_WIDTH-1:OFF_W] &&
                wo_slot == lb_last_reg + 1'b1;
wire lb_merge = wo_joins && !aw_done_reg && !aw_fire;
// a stale head leaves w_fifo unwritten; the burst being assembled, if it has gone stale before
// its AW was offered, is dropped too (once offered, AXI wants the write to complete)
wire wo_discard = w_valid && wo_stale;
wire lb_stale = lb_valid_reg && lb_gen_reg != gen_mem[lb_vi_reg] && !lb_req_reg &&
                !aw_done_reg && !w_sent_reg;
wire lb_free = !lb_valid_reg || w_done || lb_stale;
wire lb_load = w_valid && !wo_stale && lb_free;
assign w_pop = lb_merge || lb_load || wo_discard;
wire lb_hold = MERGE && MERGE_HOLD > 0 && aw_contend && !lb_full &&
               lb_age_reg < MERGE_HOLD[7:0] && !(w_valid && !wo_joins);

assign m_axi_awid = 4'd0;
assign m_axi_awsize = OFF_W[2:0];
assign m_axi_awburst = 2'b01;
assign m_axi_awlen = AWLEN;
assign m_axi_awvalid = lb_valid_reg && !lb_stale && !aw_done_reg && b_ready &&
                       (lb_req_reg || !lb_hold);
// wide: the beat is offered once its AW is accepted (no more events join then)
assign m_axi_wvalid = lb_valid_reg && !lb_stale && (!MERGE || aw_done_reg) && !w_sent_reg;
assign m_axi_wlast = w_beat_reg == LAST_BEAT;

generate
if (BYTES >= 16) begin : g_wide
    reg [DATA_WIDTH-1:0] lb_data_reg;     // the beat
    reg [BYTES-1:0]      lb_strb_reg;
    wire [OFF_W-1:0] off = wo_addr[OFF_W-1:0];
    wire [DATA_WIDTH-1:0] wo_data = {{(DATA_WIDTH-128){1'b0}}, wo_rec} << {off, 3'b000};
    wire [BYTES-1:0] wo_strb = {{(BYTES-16){1'b0}}, 16'hffff} << off;
    always @(posedge clk) begin
        if (lb_load) begin
            lb_data_reg <= wo_data;
            lb_strb_reg <= wo_strb;
        end else if (lb_merge) begin
            lb_data_reg <= lb_data_reg | wo_data;
            lb_strb_reg <= lb_strb_reg | wo_strb;
        end
    end
    assign m_axi_awaddr = {lb_addr_reg[ADDR_WIDTH-1:OFF_W], {OFF_W{1'b0}}};
    wire unused_lb_offset = &{1'b0, lb_addr_reg[OFF_W-1:0]};  // the strobes carry the offset
    assign m_axi_wdata = lb_data_reg;
    assign m_axi_wstrb = lb_strb_reg;
end else begin : g_narrow
    reg [127:0] lb_rec_reg;               // the event (two beats)
    always @(posedge clk) begin
        if (lb_load) begin
            lb_rec_reg <= wo_rec;
        end
    end
    assign m_axi_awaddr = lb_addr_reg;
    assign m_axi_wdata = w_beat_reg[0] ? lb_rec_reg[127:64] : lb_rec_reg[63:0];
    assign m_axi_wstrb = {BYTES{1'b1}};
end
endgenerate

assign aw_fire = m_axi_awvalid && m_axi_awready;
wire w_fire = m_axi_wvalid && m_axi_wready;
wire w_last_fire = w_fire && m_axi_wlast;
assign w_done = (aw_done_reg || aw_fire) && (w_last_fire || w_sent_reg);
// W may run ahead of AW (a slave may take W first): once its last beat is taken, W waits for
// the AW instead of offering the beat again; the entry leaves when both are done
always @* begin
    aw_done_next = aw_done_reg;
    w_sent_next = w_sent_reg;
    w_beat_next = w_beat_reg;
    if (aw_fire) begin
        aw_done_next = 1'b1;
    end
    if (w_fire && !m_axi_wlast) begin
        w_beat_next = w_beat_reg + 2'd1;
    end
    if (w_last_fire) begin
        w_sent_next = 1'b1;
        w_beat_next = 2'd0;
    end
    if (w_done) begin
        aw_done_next = 1'b0;
        w_sent_next = 1'b0;
        w_beat_next = 2'd0;
    end
end

always @(posedge clk) begin
    if (lb_load) begin
        lb_vi_reg <= wo_vi;
        lb_gen_reg <= wo_gen;
        lb_epoch_reg <= wo_epoch;
        lb_addr_reg <= wo_addr;
        lb_last_reg <= wo_slot;
        lb_cnt_reg <= {{(CNT_W-1){1'b0}}, 1'b1};
        lb_age_reg <= 8'd0;
    end else begin
        if (lb_merge) begin
            lb_last_reg <= wo_slot;
            lb_cnt_reg <= lb_cnt_reg + 1'b1;
        end
        if (lb_age_reg != 8'hff) begin
            lb_age_reg <= lb_age_reg + 8'd1;
        end
    end
    if (rst) begin
        lb_valid_reg <= 1'b0;
        lb_req_reg <= 1'b0;
    end else begin
        if (lb_load) begin
            lb_valid_reg <= 1'b1;
        end else if (w_done || lb_stale) begin
            lb_valid_reg <= 1'b0;
        end
        if (lb_load || aw_fire) begin
            lb_req_reg <= 1'b0;
        end else if (m_axi_awvalid) begin
            lb_req_reg <= 1'b1;
        end
    end
end

// B tracking: VI and event count of each outstanding write (responses in order, one ID)
wire [GEN_W-1:0] b_gen;
wire [VI_W-1:0] b_vi;
wire [CNT_W-1:0] b_cnt;
wire            b_epoch;
wire            b_valid;
assign m_axi_bready = b_valid && !cfg_vi_valid;
wire b_fire = m_axi_bvalid && m_axi_bready;
wire b_current = b_gen == gen_mem[b_vi];  // a write of an earlier generation counts for nothing

// event write bursts in flight per VI (at most the B-tracking FIFO's 32)
reg [5:0] inflight_reg [0:NUM_VI-1];
integer fi;
always @(posedge clk) begin
    for (fi = 0; fi < NUM_VI; fi = fi + 1) begin
        if (rst) begin
            inflight_reg[fi] <= 6'd0;
        end else if (aw_fire && lb_vi_reg == fi[VI_W-1:0] &&
                     !(b_fire && b_vi == fi[VI_W-1:0])) begin
            inflight_reg[fi] <= inflight_reg[fi] + 6'd1;
        end else if (b_fire && b_vi == fi[VI_W-1:0] &&
                     !(aw_fire && lb_vi_reg == fi[VI_W-1:0])) begin
            inflight_reg[fi] <= inflight_reg[fi] - 6'd1;
        end
    end
    // a burst in the line buffer may already be offered on AW: it counts as in flight
    sts_evq_busy <= inflight_reg[sts_vi] != 6'd0 || (lb_valid_reg && lb_vi_reg == sts_vi);
end
nic_fifo #(.WIDTH(1 + GEN_W + VI_W + CNT_W), .DEPTH_LOG2(5)) b_fifo (
    .clk(clk), .rst(rst),
    .s_data({lb_epoch_reg, lb_gen_reg, lb_vi_reg, lb_cnt_reg}), .s_valid(aw_fire),
    .s_ready(b_ready),
    .m_data({b_epoch, b_gen, b_vi, b_cnt}), .m_valid(b_valid), .m_ready(b_fire),
    .count(b_count_unused));

// DMA-fence retirements, per epoch: abandoned after translation (x stage: refused, dead or
// stale; w_fifo head stale; line buffer gone stale before AW), or written (B)
wire [7:0] r_x = {7'd0, x_go && !w_push};
wire [7:0] r_w = {7'd0, wo_discard};
wire [7:0] r_lb = lb_stale ? {{(8-CNT_W){1'b0}}, lb_cnt_reg} : 8'd0;
wire [7:0] r_b = b_fire ? {{(8-CNT_W){1'b0}}, b_cnt} : 8'd0;
assign xlat_ret[7:0] = (xlat_resp_epoch ? 8'd0 : r_x) + (wo_epoch ? 8'd0 : r_w) +
                       (lb_epoch_reg ? 8'd0 : r_lb) + (b_epoch ? 8'd0 : r_b);
assign xlat_ret[15:8] = (xlat_resp_epoch ? r_x : 8'd0) + (wo_epoch ? r_w : 8'd0) +
                        (lb_epoch_reg ? r_lb : 8'd0) + (b_epoch ? r_b : 8'd0);

// ------------------------------------------------------------------------------ interrupts

reg  [VI_W-1:0] scan_reg;
wire [VI_W-1:0] scan_next = (scan_reg == LAST_VI) ? {VI_W{1'b0}} : scan_reg + 1'b1;
// Events pending = written (B seen) minus read. The host can see an event in memory, consume it
// and move its read index past done before the write's B response arrives; that difference is
// "negative" (indices are free-running 16-bit, rings at most 2^15 entries) and must not fire.
wire [15:0] scan_pending = done_mem[scan_reg] - rd_mem[scan_reg];
wire scan_fire = !cfg_vi_valid && enabled_reg[scan_reg] && armed_reg[scan_reg] &&
                 !irq_reg[scan_reg] && scan_pending != 16'd0 && !scan_pending[15] &&
                 ((now_reg - fire_mem[scan_reg]) >= mod_mem[scan_reg]);
wire db_evq = db_valid && db_kind == DB_KIND_EVQ_READ[1:0];

// ------------------------------------------------------------------------------ state update

always @* begin
    enabled_next = enabled_reg;
    dead_next = dead_reg;
    faulted_next = faulted_reg;
    armed_next = armed_reg;
    irq_next = irq_reg;
    if (scan_fire) begin
        irq_next[scan_reg] = 1'b1;
        armed_next[scan_reg] = 1'b0;
    end
    if (db_evq) begin
        irq_next[db_vi] = 1'b0;
        armed_next[db_vi] = db_value[31];
    end
    if (x_fault) begin
        dead_next[x_vi] = 1'b1;
        faulted_next[x_vi] = 1'b1;
    end
    if (e_flt) begin
        faulted_next[op_vi] = 1'b1;
    end
    if (cfg_vi_valid) begin
        enabled_next[cfg_vi] = cfg_vi_enable;
        dead_next[cfg_vi] = 1'b0;
        faulted_next[cfg_vi] = 1'b0;
        armed_next[cfg_vi] = 1'b0;
        irq_next[cfg_vi] = 1'b0;
    end
end

always @(posedge clk) begin
    now_reg <= now_reg + 32'd1;
    if (cfg_vi_valid) begin
        if (cfg_vi_enable) begin
            base_mem[cfg_vi] <= cfg_vi_evq_base;
            log2_mem[cfg_vi] <= cfg_vi_evq_log2;
            owner_mem[cfg_vi] <= cfg_vi_owner;
            mod_mem[cfg_vi] <= cfg_vi_irq_mod;
        end
        gen_mem[cfg_vi] <= gen_mem[cfg_vi] + 1'b1;
        if (cfg_vi_enable) begin
            ep_mem[cfg_vi] <= ep_mem[cfg_vi] + 2'd1;
        end
        prod_mem[cfg_vi] <= 16'd0;
        rsv_mem[cfg_vi] <= 17'd0;
        done_mem[cfg_vi] <= 16'd0;
        rd_mem[cfg_vi] <= 16'd0;
        fire_mem[cfg_vi] <= now_reg - cfg_vi_irq_mod;
    end else begin
        if (do_ev && !e_skip) begin
            rsv_mem[op_vi] <= e_rsv_after;
            if (e_write) begin
                prod_mem[op_vi] <= op_prod + 16'd1;
            end
        end else if (do_rsv && r_ok) begin
            rsv_mem[op_vi] <= op_rsv + 17'd1;
        end
        if (db_evq) begin
            rd_mem[db_vi] <= db_value[15:0];
        end
        if (b_fire && b_current) begin
            done_mem[b_vi] <= done_mem[b_vi] + {{(16-CNT_W){1'b0}}, b_cnt};
        end
        if (scan_fire) begin
            fire_mem[scan_reg] <= now_reg;
        end
    end

    // fault broadcast: an error event, else a refused event write
    flt_vi <= e_flt ? op_vi : x_vi;
    flt_code <= e_flt ? ev_code[ev_sel*8 +: 8] : CODE_EVQ_FAULT;
    flt_index <= e_flt ? ev_index[ev_sel*16 +: 16] : x_slot;
    sts_evq_prod <= done_mem[sts_vi];

    if (rst) begin
        enabled_reg <= {NUM_VI{1'b0}};
        dead_reg <= {NUM_VI{1'b0}};
        faulted_reg <= {NUM_VI{1'b0}};
        armed_reg <= {NUM_VI{1'b0}};
        irq_reg <= {NUM_VI{1'b0}};
        scan_reg <= {VI_W{1'b0}};
        aw_done_reg <= 1'b0;
        w_sent_reg <= 1'b0;
        w_beat_reg <= 2'd0;
        flt_valid <= 1'b0;
        stat_events <= 1'b0;
        stat_events_lost <= 1'b0;
        stat_dma_faults <= 1'b0;
        now_reg <= 32'd0;
    end else begin
        enabled_reg <= enabled_next;
        dead_reg <= dead_next;
        faulted_reg <= faulted_next;
        armed_reg <= armed_next;
        irq_reg <= irq_next;
        scan_reg <= scan_next;
        aw_done_reg <= aw_done_next;
        w_sent_reg <= w_sent_next;
        w_beat_reg <= w_beat_next;
        flt_valid <= e_flt || x_fault;
        stat_events <= w_push;
        stat_events_lost <= e_lost || x_drop;
        stat_dma_faults <= x_fault;
    end
end

wire [15:0] x_slot = s_out[128 +: 16];

wire unused_ok = &{1'b0, m_axi_bid, m_axi_bresp, db_value[30:16], q_count_unused, s_count_unused,
                   w_count_unused, b_count_unused};

endmodule

`default_nettype wire
