// nic_rr_arb: round-robin arbiter multiplexing PORTS valid/ready streams onto one.
//
// Generic building block. The grant rotates (the port served last gets the lowest priority) and
// is held while the output is valid and not ready, so the output payload stays stable as the
// valid/ready rule requires. The output is combinational from the inputs (no register slice).
//   s_valid/s_ready/s_data   input streams, port i payload at s_data[i*WIDTH +: WIDTH]
//   m_valid/m_ready/m_data   output stream; m_sel is the granted port
`timescale 1ns / 1ps
`default_nettype none

module nic_rr_arb #(
    parameter integer PORTS = 2,                            // number of input streams, >= 1
    parameter integer WIDTH = 8,                            // payload bits per stream
    parameter integer SEL_W = (PORTS > 1) ? $clog2(PORTS) : 1
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [PORTS-1:0]        s_valid,
    output wire [PORTS-1:0]        s_ready,
    input  wire [PORTS*WIDTH-1:0]  s_data,

    output wire                    m_valid,
    input  wire                    m_ready,
    output wire [WIDTH-1:0]        m_data,
    output wire [SEL_W-1:0]        m_sel
);

initial begin
    if (PORTS < 1 || WIDTH < 1) begin
        $error("nic_rr_arb: PORTS and WIDTH must be >= 1");
        $finish;
    end
end

reg [SEL_W-1:0] last_reg, last_next;
reg             lock_reg, lock_next;
reg [SEL_W-1:0] held_reg, held_next;

wire             pick_any;
wire [SEL_W-1:0] pick_sel;

nic_rr_pick #(.N(PORTS), .SEL_W(SEL_W)) pick_inst (
    .req(s_valid),
    .last(last_reg),
    .any(pick_any),
    .sel(pick_sel)
);

wire [SEL_W-1:0] sel = lock_reg ? held_reg : pick_sel;

assign m_sel = sel;
assign m_valid = lock_reg ? 1'b1 : pick_any;
assign m_data = s_data[sel*WIDTH +: WIDTH];
assign s_ready = (m_ready && m_valid) ? ({{(PORTS-1){1'b0}}, 1'b1} << sel) : {PORTS{1'b0}};

always @* begin
    last_next = last_reg;
    lock_next = 1'b0;
    held_next = sel;
    if (m_valid && m_ready) begin
        last_next = sel;
    end else if (m_valid) begin
        lock_next = 1'b1;
    end
end

always @(posedge clk) begin
    held_reg <= held_next;
    if (rst) begin
        last_reg <= {SEL_W{1'b1}};
        lock_reg <= 1'b0;
    end else begin
        last_reg <= last_next;
        lock_reg <= lock_next;
    end
end

endmodule

`default_nettype wire
