// nic_rx_fifo: synchronous first-word-fall-through FIFO used inside the receive path.
//
// Storage is a simple dual-port RAM with a registered read (block-RAM friendly) followed by a
// one-entry output register, so the head of the queue is presented on m_data with m_valid and
// back-to-back pops run at one word per cycle. s_count is the number of words held (RAM plus
// output register), usable for "space for N more" checks by producers without ready.
`timescale 1ns / 1ps
`default_nettype none

module nic_rx_fifo #(
    parameter integer WIDTH = 32,
    parameter integer DEPTH_LOG2 = 4
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
    if (WIDTH < 1) begin
        $error("nic_rx_fifo: WIDTH must be >= 1");
        $finish;
    end
    if (DEPTH_LOG2 < 1 || DEPTH_LOG2 > 16) begin
        $error("nic_rx_fifo: DEPTH_LOG2 must be 1..16");
        $finish;
    end
end

reg [WIDTH-1:0] mem [0:DEPTH-1];

reg [DEPTH_LOG2:0] wr_ptr_reg, wr_ptr_next;
reg [DEPTH_LOG2:0] rd_ptr_reg, rd_ptr_next;
reg [WIDTH-1:0]    out_data_reg;
reg                out_valid_reg, out_valid_next;
reg [DEPTH_LOG2:0] count_reg, count_next;

// words in RAM (not yet moved to the output register)
wire [DEPTH_LOG2:0] ram_count = wr_ptr_reg - rd_ptr_reg;
wire ram_full = ram_count == DEPTH[DEPTH_LOG2:0];

wire push = s_valid && s_ready;
wire pop = m_valid && m_ready;
// move a word from RAM to the output register when it is (or becomes) free
wire load = (ram_count != 0) && (!out_valid_reg || pop);

assign s_ready = !ram_full;
assign m_data = out_data_reg;
assign m_valid = out_valid_reg;
assign count = count_reg;

always @* begin
    wr_ptr_next = wr_ptr_reg;
    rd_ptr_next = rd_ptr_reg;
    out_valid_next = out_valid_reg;
    count_next = count_reg;
    if (push) begin
        wr_ptr_next = wr_ptr_reg + 1'b1;
    end
    if (load) begin
        rd_ptr_next = rd_ptr_reg + 1'b1;
        out_valid_next = 1'b1;
    end else if (pop) begin
        out_valid_next = 1'b0;
    end
    count_next = count_reg + {{DEPTH_LOG2{1'b0}}, push} - {{DEPTH_LOG2{1'b0}}, pop};
end

always @(posedge clk) begin
    if (push) begin
        mem[wr_ptr_reg[DEPTH_LOG2-1:0]] <= s_data;
    end
    if (load) begin
        out_data_reg <= mem[rd_ptr_reg[DEPTH_LOG2-1:0]];
    end
end

always @(posedge clk) begin
    if (rst) begin
        wr_ptr_reg <= {(DEPTH_LOG2+1){1'b0}};
        rd_ptr_reg <= {(DEPTH_LOG2+1){1'b0}};
        out_valid_reg <= 1'b0;
        count_reg <= {(DEPTH_LOG2+1){1'b0}};
    end else begin
        wr_ptr_reg <= wr_ptr_next;
        rd_ptr_reg <= rd_ptr_next;
        out_valid_reg <= out_valid_next;
        count_reg <= count_next;
    end
end

endmodule

`default_nettype wire
