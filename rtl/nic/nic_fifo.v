// nic_fifo: small synchronous first-word-fall-through FIFO, valid/ready on both sides.
//
// Generic building block (used by the TX path and available to every other block). Storage is
// an array read asynchronously at the read pointer (distributed / LUT RAM), so the head word is
// on m_data in the cycle after it was written and pops run at one word per cycle. Meant for
// shallow queues (sideband tags, tracking entries, events); use nic_frame_fifo for frame data.
//   s_*    push side: a word is written on a cycle with s_valid && s_ready (s_ready = not full)
//   m_*    pop side:  the head word is removed on a cycle with m_valid && m_ready
//   count  words held (0..2^DEPTH_LOG2)
// Reset empties the FIFO (pointers only; the array is not reset).
`timescale 1ns / 1ps
`default_nettype none

module nic_fifo #(
    parameter integer WIDTH = 8,        // word width in bits
    parameter integer DEPTH_LOG2 = 4    // capacity = 2^DEPTH_LOG2 words
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [WIDTH-1:0]      s_data,
    input  wire                  s_valid,
    output wire                  s_ready,

    output wire [WIDTH-1:0]      m_data,
    output wire                  m_valid,
    input  wire                  m_ready,

    output wire [DEPTH_LOG2:0]   count
);

localparam integer DEPTH = 1 << DEPTH_LOG2;

initial begin
    if (WIDTH < 1 || DEPTH_LOG2 < 1 || DEPTH_LOG2 > 12) begin
        $error("nic_fifo: need WIDTH >= 1 and DEPTH_LOG2 in 1..12");
        $finish;
    end
end

reg [WIDTH-1:0] mem [0:DEPTH-1];

reg [DEPTH_LOG2:0] wr_ptr_reg, wr_ptr_next;
reg [DEPTH_LOG2:0] rd_ptr_reg, rd_ptr_next;

wire [DEPTH_LOG2:0] used = wr_ptr_reg - rd_ptr_reg;
wire full = used[DEPTH_LOG2];
wire empty = wr_ptr_reg == rd_ptr_reg;
wire push = s_valid && !full;
wire pop = m_ready && !empty;

assign s_ready = !full;
assign m_valid = !empty;
assign m_data = mem[rd_ptr_reg[DEPTH_LOG2-1:0]];
assign count = used;

always @* begin
    wr_ptr_next = wr_ptr_reg + {{DEPTH_LOG2{1'b0}}, push};
    rd_ptr_next = rd_ptr_reg + {{DEPTH_LOG2{1'b0}}, pop};
end

always @(posedge clk) begin
    if (push) begin
        mem[wr_ptr_reg[DEPTH_LOG2-1:0]] <= s_data;
    end
    if (rst) begin
        wr_ptr_reg <= {(DEPTH_LOG2+1){1'b0}};
        rd_ptr_reg <= {(DEPTH_LOG2+1){1'b0}};
    end else begin
        wr_ptr_reg <= wr_ptr_next;
        rd_ptr_reg <= rd_ptr_next;
    end
end

endmodule

`default_nettype wire
