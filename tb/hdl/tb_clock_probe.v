// tb_clock_probe: what cocotb (and cocotbext-axi's stream models) see at RisingEdge(clk) in
// a Verilator model, with the clock generated in HDL (HDL_CLK=1) or driven by cocotb into
// `clk_in` (HDL_CLK=0). Used by tb/clock_probe/test_clock_probe.py (tests/test_tb_clocking.py).
//   count   a register: read at RisingEdge it shows the value before or after that edge
//   s_axis  an AXI-Stream sink whose ready is high every other cycle (!count[0]); it counts the
//           beats it takes and checks that their bytes run 0, 1, 2, ...
//   m_axis  an AXI-Stream source of one-beat frames 0..N_OUT-1, one every 5 cycles: like the
//           NIC's AR register slice, with a ready sink each tvalid lasts one cycle
`timescale 1ns / 1ps
`default_nettype none

module tb_clock_probe #(
    parameter integer HDL_CLK = 1,
    parameter integer N_OUT = 32
) (
    input  wire        clk_in,
    input  wire        rst,
    output wire        clk,
    output reg  [31:0] count,
    input  wire [7:0]  s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    input  wire        s_axis_tlast,
    output reg  [31:0] beats,
    output reg  [31:0] errors,
    output reg  [7:0]  m_axis_tdata,
    output reg         m_axis_tvalid,
    input  wire        m_axis_tready,
    output wire        m_axis_tlast,
    output reg  [31:0] sent
);

generate
if (HDL_CLK != 0) begin : g_hdl_clk
    reg clk_gen;
    initial clk_gen = 1'b0;
    always #2 clk_gen = ~clk_gen;
    assign clk = clk_gen;
    wire unused_clk_in = clk_in;
end else begin : g_cocotb_clk
    assign clk = clk_in;
end
endgenerate

reg [7:0] expect_reg;
reg [2:0] gap_reg;
assign s_axis_tready = !rst && !count[0];
assign m_axis_tlast = 1'b1;

initial count = 32'd0;
always @(posedge clk) begin
    count <= count + 32'd1;
    if (rst) begin
        expect_reg <= 8'd0;
        beats <= 32'd0;
        errors <= 32'd0;
        m_axis_tvalid <= 1'b0;
        m_axis_tdata <= 8'd0;
        sent <= 32'd0;
        gap_reg <= 3'd0;
    end else begin
        if (s_axis_tvalid && s_axis_tready) begin
            beats <= beats + 32'd1;
            expect_reg <= s_axis_tdata + 8'd1;
            if (s_axis_tdata != expect_reg) begin
                errors <= errors + 32'd1;
            end
        end
        if (m_axis_tvalid && m_axis_tready) begin
            sent <= sent + 32'd1;
            m_axis_tdata <= m_axis_tdata + 8'd1;
        end
        if (!m_axis_tvalid || m_axis_tready) begin
            gap_reg <= (gap_reg == 3'd4) ? 3'd0 : gap_reg + 3'd1;
            m_axis_tvalid <= (gap_reg == 3'd4) &&
                             (sent + {31'd0, m_axis_tvalid && m_axis_tready} < N_OUT);
        end
    end
end

wire unused_ok = &{1'b0, s_axis_tlast};

endmodule

`default_nettype wire
