// tb_axi_dpi_mem: sim-only AXI4 slave over the host's physical memory (a DPI-C region shared
// with the Python host). Models a PCIe-like round trip: each read burst is answered
// READ_LATENCY cycles after it was accepted, up to MAX_READS bursts in flight, then streamed at
// one beat per cycle; writes land as their beats arrive (so a later write is never seen before an
// earlier one) and are acknowledged WRITE_LATENCY cycles after the last beat. Latencies are
// registers (read_latency, write_latency) the testbench may change at run time.
`timescale 1ns / 1ps
`default_nettype none

module tb_axi_dpi_mem #(
    parameter integer DATA_WIDTH = 512,
    parameter integer ADDR_WIDTH = 48,
    parameter integer ID_WIDTH = 8,
    parameter integer MAX_READS = 64,
    parameter integer REGION = 0
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire [63:0]             cycle,
    input  wire [15:0]             read_latency,
    input  wire [15:0]             write_latency,
    output reg  [31:0]             write_bursts,    // completed write bursts: a wake-up for Python

    input  wire [ID_WIDTH-1:0]     s_axi_awid,
    input  wire [ADDR_WIDTH-1:0]   s_axi_awaddr,
    input  wire [7:0]              s_axi_awlen,
    input  wire [2:0]              s_axi_awsize,
    input  wire [1:0]              s_axi_awburst,
    input  wire                    s_axi_awvalid,
    output wire                    s_axi_awready,
    input  wire [DATA_WIDTH-1:0]   s_axi_wdata,
    input  wire [DATA_WIDTH/8-1:0] s_axi_wstrb,
    input  wire                    s_axi_wlast,
    input  wire                    s_axi_wvalid,
    output wire                    s_axi_wready,
    output wire [ID_WIDTH-1:0]     s_axi_bid,
    output wire [1:0]              s_axi_bresp,
    output wire                    s_axi_bvalid,
    input  wire                    s_axi_bready,
    input  wire [ID_WIDTH-1:0]     s_axi_arid,
    input  wire [ADDR_WIDTH-1:0]   s_axi_araddr,
    input  wire [7:0]              s_axi_arlen,
    input  wire [2:0]              s_axi_arsize,
    input  wire [1:0]              s_axi_arburst,
    input  wire                    s_axi_arvalid,
    output wire                    s_axi_arready,
    output reg  [ID_WIDTH-1:0]     s_axi_rid,
    output reg  [DATA_WIDTH-1:0]   s_axi_rdata,
    output reg  [1:0]              s_axi_rresp,
    output reg                     s_axi_rlast,
    output reg                     s_axi_rvalid,
    input  wire                    s_axi_rready
);

localparam integer BYTES = DATA_WIDTH / 8;
localparam [31:0] BYTES32 = BYTES;
localparam [63:0] BYTES64 = {32'd0, BYTES32};
localparam integer RQ_W = $clog2(MAX_READS);

function [63:0] aligned(input [ADDR_WIDTH-1:0] a);
    aligned = {{(64-ADDR_WIDTH){1'b0}}, a} & ~(BYTES64 - 64'd1);
endfunction

import "DPI-C" function int nicsim_mem_read(input int id, input longint addr, input int nbytes,
                                            output bit [511:0] data);
import "DPI-C" function int nicsim_mem_write(input int id, input longint addr, input int nbytes,
                                             input bit [511:0] data, input bit [63:0] strb);
import "DPI-C" function void nicsim_mem_log(input int id, input longint cycle, input longint addr,
                                            input int bytes, input int kind);

// ------------------------------------------------------------------------------------ reads
reg [ADDR_WIDTH-1:0] rq_addr [0:MAX_READS-1];
reg [7:0]            rq_len  [0:MAX_READS-1];
reg [ID_WIDTH-1:0]   rq_id   [0:MAX_READS-1];
reg [63:0]           rq_due  [0:MAX_READS-1];
reg [RQ_W:0] rq_wr, rq_rd;
reg [8:0] beat;  // beat of the head burst being returned
reg [511:0] rbuf;  // the DPI model fills 512 bits; a narrower bus takes the low ones
wire unused_rbuf = &{1'b0, rbuf};
wire rq_full = (rq_wr - rq_rd) == MAX_READS[RQ_W:0];
wire rq_empty = rq_wr == rq_rd;
assign s_axi_arready = !rst && !rq_full;

wire [RQ_W-1:0] head = rq_rd[RQ_W-1:0];
wire r_slot_free = !s_axi_rvalid || s_axi_rready;
wire head_due = !rq_empty && rq_due[head] <= cycle;

always @(posedge clk) begin
    if (rst) begin
        rq_wr <= 0;
        rq_rd <= 0;
        beat <= 0;
        s_axi_rvalid <= 1'b0;
    end else begin
        if (s_axi_arvalid && s_axi_arready) begin
            rq_addr[rq_wr[RQ_W-1:0]] <= s_axi_araddr;
            rq_len[rq_wr[RQ_W-1:0]] <= s_axi_arlen;
            rq_id[rq_wr[RQ_W-1:0]] <= s_axi_arid;
            rq_due[rq_wr[RQ_W-1:0]] <= cycle + {48'd0, read_latency};
            rq_wr <= rq_wr + 1'b1;
            nicsim_mem_log(REGION, cycle, {{(64-ADDR_WIDTH){1'b0}}, s_axi_araddr},
                           ({24'd0, s_axi_arlen} + 32'd1) * BYTES32, 0);
        end
        if (r_slot_free) begin
            if (head_due) begin
                // AXI: beats are bus-aligned even when the burst's start address is not
                s_axi_rresp <= nicsim_mem_read(REGION, aligned(rq_addr[head]) + beat * BYTES,
                                               BYTES, rbuf) != 0 ? 2'b10 : 2'b00;
                s_axi_rdata <= rbuf[DATA_WIDTH-1:0];
                s_axi_rid <= rq_id[head];
                s_axi_rlast <= beat[7:0] == rq_len[head];
                s_axi_rvalid <= 1'b1;
                if (beat[7:0] == rq_len[head]) begin
                    beat <= 0;
                    rq_rd <= rq_rd + 1'b1;
                end else begin
                    beat <= beat + 1'b1;
                end
            end else begin
                s_axi_rvalid <= 1'b0;
            end
        end
    end
end

// ----------------------------------------------------------------------------------- writes
// One write burst at a time (AW, then its W beats); B responses queue up behind a delay line.
localparam integer BQ = 64;
reg [ADDR_WIDTH-1:0] w_addr;
reg [ID_WIDTH-1:0]   w_id;
reg                  w_active;
reg                  w_err;
reg [ID_WIDTH-1:0]   bq_id [0:BQ-1];
reg [1:0]            bq_resp [0:BQ-1];
reg [63:0]           bq_due [0:BQ-1];
reg [6:0] bq_wr, bq_rd;
wire bq_full = (bq_wr - bq_rd) == 7'd64;
wire bq_ready = bq_wr != bq_rd && bq_due[bq_rd[5:0]] <= cycle;
assign s_axi_awready = !rst && !w_active && !bq_full;
assign s_axi_wready = w_active;
assign s_axi_bvalid = bq_ready;
assign s_axi_bid = bq_id[bq_rd[5:0]];
assign s_axi_bresp = bq_resp[bq_rd[5:0]];

// the write beat, padded to the DPI call's 512-bit data and 64-bit strobe arguments
reg [511:0] wbuf;
reg [63:0] sbuf;
always @* begin
    wbuf = 512'd0;
    sbuf = 64'd0;
    wbuf[DATA_WIDTH-1:0] = s_axi_wdata;
    sbuf[BYTES-1:0] = s_axi_wstrb;
end
wire [63:0] w_next = aligned(w_addr) + BYTES64;  // the next beat's address (ADDR_WIDTH bits)
wire unused_w_next = &{1'b0, w_next};
reg werr;
always @(posedge clk) begin
    if (rst) begin
        w_active <= 1'b0;
        bq_wr <= 0;
        bq_rd <= 0;
        write_bursts <= 0;
    end else begin
        if (s_axi_awvalid && s_axi_awready) begin
            w_addr <= s_axi_awaddr;
            w_id <= s_axi_awid;
            w_err <= 1'b0;
            w_active <= 1'b1;
            nicsim_mem_log(REGION, cycle, {{(64-ADDR_WIDTH){1'b0}}, s_axi_awaddr},
                           ({24'd0, s_axi_awlen} + 32'd1) * BYTES32, 1);
        end
        if (s_axi_wvalid && s_axi_wready) begin
            // the DPI write's outcome is needed in this cycle (the B response of a last beat)
            /* verilator lint_off BLKSEQ */
            werr = w_err | (nicsim_mem_write(REGION, aligned(w_addr), BYTES, wbuf, sbuf) != 0);
            /* verilator lint_on BLKSEQ */
            w_err <= werr;
            w_addr <= w_next[ADDR_WIDTH-1:0];
            if (s_axi_wlast) begin
                w_active <= 1'b0;
                bq_id[bq_wr[5:0]] <= w_id;
                bq_resp[bq_wr[5:0]] <= werr ? 2'b10 : 2'b00;
                bq_due[bq_wr[5:0]] <= cycle + {48'd0, write_latency};
                bq_wr <= bq_wr + 1'b1;
                write_bursts <= write_bursts + 1;
            end
        end
        if (s_axi_bvalid && s_axi_bready) bq_rd <= bq_rd + 1'b1;
    end
end

// unused burst type/size: the NIC issues full-width INCR bursts only
wire unused = &{1'b0, s_axi_awsize, s_axi_awburst, s_axi_arsize, s_axi_arburst};

endmodule

`default_nettype wire
