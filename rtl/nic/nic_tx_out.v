// nic_tx_out: TX wire side - sends committed frames from the frame buffer on m_axis_tx_* and
// completes them.
//
// Beats leave as stored, with tkeep from the frame length on the last beat and the checksums
// computed by nic_tx_csum written into their fields (IPv4 header checksum at bytes 24..25, the
// UDP/TCP checksum at the recorded offset; both big endian) when enabled for the frame.
// When a frame's last beat is taken, its completion is queued for nic_evq (TX event: INDEX =
// ring index of the last descriptor, LEN, NDESC; it uses the reservation made at dispatch), the
// VI's consumer index becomes INDEX+1 and TX_FRAMES / TX_BYTES count it. An error record
// (f_err != 0, written by nic_tx_align in place of a failed frame) is not sent: it queues the
// VI's error event instead (ERR_TX_BAD_DESC / ERR_TX_DESC_FAULT / ERR_TX_READ_FAULT, INDEX = the
// descriptor's ring index) and counts TX_ERRORS (and DMA_FAULTS for refused DMA). Completions and
// errors share one queue, so a VI's events are in ring order. Events of an earlier configuration
// of the VI (generation differs) are not reported; a queued event carries its generation on
// (ev_gen), so nic_evq discards one whose VI is reconfigured while it waits. A last beat waits
// while the queue is full.
`timescale 1ns / 1ps
`default_nettype none

module nic_tx_out #(
    parameter integer NUM_VI = 16,
    parameter integer VI_W = $clog2(NUM_VI),
    parameter integer DATA_WIDTH = 512,
    parameter integer GEN_W = 4
) (
    input  wire                      clk,
    input  wire                      rst,

    input  wire                      cfg_vi_valid,
    input  wire [VI_W-1:0]           cfg_vi,

    // frame buffer read side
    input  wire                      f_valid,
    output wire                      f_ready,
    input  wire [DATA_WIDTH-1:0]     f_data,
    input  wire                      f_last,
    input  wire [1:0]                f_err,
    input  wire [13:0]               f_len,
    input  wire [VI_W-1:0]           f_vi,
    input  wire [GEN_W-1:0]          f_gen,
    input  wire [15:0]               f_idx,
    input  wire [7:0]                f_ndesc,
    input  wire                      f_ip_en,
    input  wire [15:0]               f_ip,
    input  wire                      f_l4_en,
    input  wire [6:0]                f_l4_pos,
    input  wire [15:0]               f_l4,

    output wire [DATA_WIDTH-1:0]     m_axis_tx_tdata,
    output wire [DATA_WIDTH/8-1:0]   m_axis_tx_tkeep,
    output wire                      m_axis_tx_tvalid,
    input  wire                      m_axis_tx_tready,
    output wire                      m_axis_tx_tlast,
    output wire                      m_axis_tx_tuser,

    // completions and errors (to nic_evq)
    output wire                      ev_valid,
    input  wire                      ev_ready,
    output wire [VI_W-1:0]           ev_vi,
    output wire [1:0]                ev_err,      // 0 completion, else error 1..3 as f_err
    output wire [15:0]               ev_index,
    output wire [15:0]               ev_len,
    output wire [7:0]                ev_ndesc,
    output wire [GEN_W-1:0]          ev_gen,

    input  wire [VI_W-1:0]           sts_vi,
    output reg  [15:0]               sts_tx_cons,

    output reg                       stat_frame,
    output reg  [15:0]               stat_bytes,
    output reg                       stat_error,
    output reg                       stat_dma_fault
);

localparam integer BYTES = DATA_WIDTH / 8;
localparam integer OFF_W = $clog2(BYTES);
localparam integer E_W = GEN_W + VI_W + 2 + 16 + 16 + 8;

initial begin
    if (NUM_VI < 2 || (1 << VI_W) < NUM_VI || DATA_WIDTH < 64 || DATA_WIDTH > 512 ||
            (DATA_WIDTH & (DATA_WIDTH - 1)) != 0 || GEN_W < 1) begin
        $error("nic_tx_out: impossible configuration");
        $finish;
    end
end

reg [GEN_W-1:0]    gen_mem [0:NUM_VI-1];
reg [GEN_W+15:0]   cons_mem [0:NUM_VI-1];   // {generation, consumer index}: stale reads as 0
integer k;
initial begin
    for (k = 0; k < NUM_VI; k = k + 1) begin
        gen_mem[k] = {GEN_W{1'b0}};
        cons_mem[k] = {(GEN_W+16){1'b0}};
    end
end

reg [10:0] bidx_reg;

// checksum insertion
reg [DATA_WIDTH-1:0] data;
reg [15:0] off;
integer i;
always @* begin
    data = f_data;
    for (i = 0; i < BYTES; i = i + 1) begin
        off = ({5'd0, bidx_reg} << OFF_W) + i[15:0];
        if (f_ip_en && off == 16'd24) data[i*8 +: 8] = f_ip[15:8];
        if (f_ip_en && off == 16'd25) data[i*8 +: 8] = f_ip[7:0];
        if (f_l4_en && off == {9'd0, f_l4_pos}) data[i*8 +: 8] = f_l4[15:8];
        if (f_l4_en && off == {9'd0, f_l4_pos} + 16'd1) data[i*8 +: 8] = f_l4[7:0];
    end
end

wire [OFF_W-1:0] tail = f_len[OFF_W-1:0];
wire [BYTES-1:0] keep_last = (tail == {OFF_W{1'b0}}) ? {BYTES{1'b1}} : ~({BYTES{1'b1}} << tail);

wire ev_room;
wire rec = f_err != 2'd0;     // error record: one beat, never on the wire
wire go = f_valid && !rec && (!f_last || ev_room);
assign m_axis_tx_tdata = data;
assign m_axis_tx_tkeep = f_last ? keep_last : {BYTES{1'b1}};
assign m_axis_tx_tvalid = go;
assign m_axis_tx_tlast = f_last;
assign m_axis_tx_tuser = 1'b0;
assign f_ready = rec ? ev_room : (m_axis_tx_tready && (!f_last || ev_room));

wire beat = go && m_axis_tx_tready;
wire done = beat && f_last;
wire rec_done = f_valid && rec && ev_room;
wire current = gen_mem[f_vi] == f_gen;
wire [GEN_W+15:0] sts_cons = cons_mem[sts_vi];

always @(posedge clk) begin
    if (cfg_vi_valid) begin
        gen_mem[cfg_vi] <= gen_mem[cfg_vi] + 1'b1;
    end
    if (done && current) begin
        cons_mem[f_vi] <= {f_gen, f_idx + 16'd1};
    end
    sts_tx_cons <= (sts_cons[GEN_W+15:16] == gen_mem[sts_vi]) ? sts_cons[15:0] : 16'd0;
    stat_bytes <= {2'b00, f_len};
    if (rst) begin
        bidx_reg <= 11'd0;
        stat_frame <= 1'b0;
        stat_error <= 1'b0;
        stat_dma_fault <= 1'b0;
    end else begin
        if (beat) begin
            bidx_reg <= f_last ? 11'd0 : bidx_reg + 11'd1;
        end
        stat_frame <= done;
        stat_error <= rec_done && current;
        stat_dma_fault <= rec_done && current && f_err != 2'd1;
    end
end

wire [E_W-1:0] ev_out;
wire [2:0]     ev_count_unused;
nic_fifo #(.WIDTH(E_W), .DEPTH_LOG2(2)) ev_fifo (
    .clk(clk), .rst(rst),
    .s_data({f_gen, f_vi, f_err, f_idx, 2'b00, f_len, f_ndesc}),
    .s_valid((done || rec_done) && current),
    .s_ready(ev_room),
    .m_data(ev_out), .m_valid(ev_valid), .m_ready(ev_ready), .count(ev_count_unused));
assign {ev_gen, ev_vi, ev_err, ev_index, ev_len, ev_ndesc} = ev_out;

wire unused_ok = &{1'b0, ev_count_unused};

endmodule

`default_nettype wire
