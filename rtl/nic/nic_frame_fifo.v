// nic_frame_fifo: store-and-forward frame FIFO with commit / abort (drop) on the write side.
//
// Generic building block for frame buffers. Beats are written as they come; a frame becomes
// visible to the read side only when its last beat is written (commit, which also queues the
// frame's metadata). A write with s_abort (together with s_last) discards the whole frame being
// written: the write pointer returns to the last commit; its data is ignored. So a frame that
// fails half way never reaches the read side.
//   s_ready     room for one more beat and one more frame's metadata
//   m_*         committed beats, in order; m_last marks a frame's last beat, m_meta is the
//               metadata of the frame being read (valid with m_valid)
//   count       beats held, committed or not (2^DEPTH_LOG2 max)
// Data RAM: simple dual port whose registered read port is the output register (block RAM with
// a read enable), one beat per cycle both sides; a committed beat is on m_* two cycles after
// its frame's commit.
`timescale 1ns / 1ps
`default_nettype none

module nic_frame_fifo #(
    parameter integer DATA_W = 512,
    parameter integer DEPTH_LOG2 = 9,        // beats
    parameter integer META_W = 16,
    parameter integer META_DEPTH_LOG2 = 9    // frames
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire                  s_valid,
    output wire                  s_ready,
    input  wire [DATA_W-1:0]     s_data,
    input  wire                  s_last,
    input  wire                  s_abort,
    input  wire [META_W-1:0]     s_meta,

    output wire                  m_valid,
    input  wire                  m_ready,
    output wire [DATA_W-1:0]     m_data,
    output wire                  m_last,
    output wire [META_W-1:0]     m_meta,

    output wire [DEPTH_LOG2:0]   count
);

localparam integer DEPTH = 1 << DEPTH_LOG2;

initial begin
    if (DATA_W < 1 || DEPTH_LOG2 < 2 || DEPTH_LOG2 > 16 || META_W < 1 || META_DEPTH_LOG2 < 1 ||
            META_DEPTH_LOG2 > 12) begin
        $error("nic_frame_fifo: impossible configuration");
        $finish;
    end
end

reg [DATA_W:0] mem [0:DEPTH-1];   // {last, data}

reg [DEPTH_LOG2:0] wr_ptr_reg, wr_ptr_next;      // next beat to write
reg [DEPTH_LOG2:0] commit_ptr_reg, commit_ptr_next;
reg [DEPTH_LOG2:0] rd_ptr_reg, rd_ptr_next;      // next beat to read from RAM
reg [DEPTH_LOG2:0] free_ptr_reg, free_ptr_next;  // beats before this one have left the FIFO

wire meta_ready;
wire full = (wr_ptr_reg - free_ptr_reg) == DEPTH[DEPTH_LOG2:0];
assign s_ready = !full && meta_ready;
assign count = wr_ptr_reg - free_ptr_reg;

wire wr = s_valid && s_ready && !s_abort;
wire commit = s_valid && s_ready && s_last && !s_abort;
wire abort = s_valid && s_ready && s_abort;

// read: the RAM's registered read port is the output register
reg             o_valid_reg, o_valid_next;
reg [DATA_W:0]  o_reg;

wire o_adv = !o_valid_reg || m_ready;
wire rd = o_adv && (rd_ptr_reg != commit_ptr_reg);
wire pop = o_valid_reg && m_ready;

assign m_valid = o_valid_reg;
assign m_data = o_reg[DATA_W-1:0];
assign m_last = o_reg[DATA_W];

always @* begin
    wr_ptr_next = wr_ptr_reg;
    commit_ptr_next = commit_ptr_reg;
    if (wr) begin
        wr_ptr_next = wr_ptr_reg + 1'b1;
    end
    if (commit) begin
        commit_ptr_next = wr_ptr_reg + 1'b1;
    end
    if (abort) begin
        wr_ptr_next = commit_ptr_reg;
    end
    rd_ptr_next = rd_ptr_reg + {{DEPTH_LOG2{1'b0}}, rd};
    free_ptr_next = free_ptr_reg + {{DEPTH_LOG2{1'b0}}, pop};
    o_valid_next = o_adv ? rd : o_valid_reg;
end

always @(posedge clk) begin
    if (wr) begin
        mem[wr_ptr_reg[DEPTH_LOG2-1:0]] <= {s_last, s_data};
    end
    if (rd) begin
        o_reg <= mem[rd_ptr_reg[DEPTH_LOG2-1:0]];
    end
    if (rst) begin
        wr_ptr_reg <= {(DEPTH_LOG2+1){1'b0}};
        commit_ptr_reg <= {(DEPTH_LOG2+1){1'b0}};
        rd_ptr_reg <= {(DEPTH_LOG2+1){1'b0}};
        free_ptr_reg <= {(DEPTH_LOG2+1){1'b0}};
        o_valid_reg <= 1'b0;
    end else begin
        wr_ptr_reg <= wr_ptr_next;
        commit_ptr_reg <= commit_ptr_next;
        rd_ptr_reg <= rd_ptr_next;
        free_ptr_reg <= free_ptr_next;
        o_valid_reg <= o_valid_next;
    end
end

// metadata: queued at commit, released when the frame's last beat leaves
wire [META_DEPTH_LOG2:0] meta_count_unused;
wire                     meta_valid_unused;
nic_fifo #(.WIDTH(META_W), .DEPTH_LOG2(META_DEPTH_LOG2)) meta_fifo (
    .clk(clk), .rst(rst),
    .s_data(s_meta), .s_valid(commit), .s_ready(meta_ready),
    .m_data(m_meta), .m_valid(meta_valid_unused), .m_ready(pop && m_last),
    .count(meta_count_unused));

wire unused_ok = &{1'b0, meta_count_unused, meta_valid_unused};

endmodule

`default_nettype wire
