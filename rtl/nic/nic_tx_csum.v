// nic_tx_csum: TX checksum offload - computes the IPv4 header and UDP/TCP checksums of a frame
// as it streams into the frame buffer (in-line, two cycles, no backpressure).
//
// Stage 1 captures header bytes 0..33 as they pass (so every field is known by the beat that
// needs it), builds per-byte masks from the frame offset of each byte lane and sums the masked
// big-endian 16-bit words of the beat:
//   IP sum:  bytes [14, 14 + 4*IHL), checksum field (24..25) treated as zero
//   L4 sum:  source and destination address (26..33), plus the L4 segment
//            [14 + 4*IHL, 14 + IP total length) with its checksum field treated as zero
// Stage 2 accumulates over the frame and, at the last beat, adds the pseudo-header protocol and
// L4 length, folds and complements (a UDP result of 0 is sent as 0xFFFF). Insertion is enabled
// (c_ip_en / c_l4_en with the values and the L4 field offset) only for a well-formed IPv4 frame
// (Ethernet II type 0x0800, version 4, IHL >= 5, header and total length inside the frame) that
// is not a fragment, and for L4 only when the protocol is UDP/TCP and its header fits. Anything
// else passes unchanged. The frame's csum_ip / csum_l4 flags come with the last beat.
`timescale 1ns / 1ps
`default_nettype none

module nic_tx_csum #(
    parameter integer DATA_WIDTH = 512,
    parameter integer META_W = 8        // sideband carried with the last beat
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire                    i_valid,
    input  wire [DATA_WIDTH-1:0]   i_data,
    input  wire                    i_eof,
    input  wire                    i_abort,
    input  wire [13:0]             i_len,       // frame length, with the last beat
    input  wire                    i_csum_ip,   // with the last beat
    input  wire                    i_csum_l4,   // with the last beat
    input  wire [META_W-1:0]       i_meta,      // with the last beat

    output reg                     o_valid,
    output reg  [DATA_WIDTH-1:0]   o_data,
    output reg                     o_eof,
    output reg                     o_abort,
    output reg  [13:0]             o_len,
    output reg  [META_W-1:0]       o_meta,
    output reg                     c_ip_en,
    output reg  [15:0]             c_ip,
    output reg                     c_l4_en,
    output reg  [6:0]              c_l4_pos,    // frame offset of the L4 checksum field
    output reg  [15:0]             c_l4
);

localparam integer BYTES = DATA_WIDTH / 8;
localparam integer OFF_W = $clog2(BYTES);
localparam integer HDR = 34;                    // header bytes captured

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0 ||
            META_W < 1) begin
        $error("nic_tx_csum: impossible configuration");
        $finish;
    end
end

function [15:0] fold;
    input [31:0] s;
    reg [16:0] t;
    begin
        t = {1'b0, s[15:0]} + {1'b0, s[31:16]};
        t = {1'b0, t[15:0]} + {16'd0, t[16]};
        fold = t[15:0];
    end
endfunction

// ------------------------------------------------------------------------------ stage 1

reg  [10:0]      bidx_reg;            // beat number within the frame
reg  [HDR*8-1:0] hdr_reg;
reg  [HDR*8-1:0] hdr;                 // captured header with the current beat merged in
integer h;
always @* begin
    for (h = 0; h < HDR; h = h + 1) begin
        if ({21'd0, bidx_reg} == h / BYTES) begin
            hdr[h*8 +: 8] = i_data[(h % BYTES)*8 +: 8];
        end else begin
            hdr[h*8 +: 8] = hdr_reg[h*8 +: 8];
        end
    end
end

wire [15:0] f_type = {hdr[12*8 +: 8], hdr[13*8 +: 8]};
wire [7:0]  f_vihl = hdr[14*8 +: 8];
wire [15:0] f_tot = {hdr[16*8 +: 8], hdr[17*8 +: 8]};
wire [15:0] f_frag = {hdr[20*8 +: 8], hdr[21*8 +: 8]};
wire [7:0]  f_proto = hdr[23*8 +: 8];
wire [15:0] f_l4s = 16'd14 + {10'd0, f_vihl[3:0], 2'b00};
wire [15:0] f_ipend = 16'd14 + f_tot;                      // wraps only for absurd lengths
wire [15:0] f_cs = f_l4s + ((f_proto == 8'd17) ? 16'd6 : 16'd16);

reg [DATA_WIDTH-1:0] ipw, l4w;     // masked bytes
reg [20:0] ip_part, l4_part;
reg [15:0] off;
integer i;
always @* begin
    for (i = 0; i < BYTES; i = i + 1) begin
        off = ({5'd0, bidx_reg} << OFF_W) + i[15:0];
        ipw[i*8 +: 8] = (off >= 16'd14 && off < f_l4s && off != 16'd24 && off != 16'd25) ?
                        i_data[i*8 +: 8] : 8'd0;
        l4w[i*8 +: 8] = ((off >= 16'd26 && off < 16'd34) ||
                         (off >= f_l4s && off < f_ipend && off != f_cs &&
                          off != f_cs + 16'd1)) ? i_data[i*8 +: 8] : 8'd0;
    end
    ip_part = 21'd0;
    l4_part = 21'd0;
    for (i = 0; i < BYTES / 2; i = i + 1) begin
        ip_part = ip_part + {5'd0, ipw[(2*i)*8 +: 8], ipw[(2*i+1)*8 +: 8]};
        l4_part = l4_part + {5'd0, l4w[(2*i)*8 +: 8], l4w[(2*i+1)*8 +: 8]};
    end
end

reg                  s1_valid, s1_eof, s1_abort, s1_first;
reg [DATA_WIDTH-1:0] s1_data;
reg [13:0]           s1_len;
reg                  s1_cip, s1_cl4;
reg [META_W-1:0]     s1_meta;
reg [20:0]           s1_ip, s1_l4;
reg [15:0]           s1_type, s1_tot, s1_frag;
reg [7:0]            s1_vihl, s1_proto;

always @(posedge clk) begin
    if (i_valid) begin
        hdr_reg <= hdr;
    end
    s1_data <= i_data;
    s1_eof <= i_eof;
    s1_abort <= i_abort;
    s1_first <= bidx_reg == 11'd0;
    s1_len <= i_len;
    s1_cip <= i_csum_ip;
    s1_cl4 <= i_csum_l4;
    s1_meta <= i_meta;
    s1_ip <= ip_part;
    s1_l4 <= l4_part;
    s1_type <= f_type;
    s1_tot <= f_tot;
    s1_frag <= f_frag;
    s1_vihl <= f_vihl;
    s1_proto <= f_proto;
    if (rst) begin
        s1_valid <= 1'b0;
        bidx_reg <= 11'd0;
    end else begin
        s1_valid <= i_valid;
        if (i_valid) begin
            bidx_reg <= i_eof ? 11'd0 : bidx_reg + 11'd1;
        end
    end
end

// ------------------------------------------------------------------------------ stage 2

reg  [31:0] ip_acc_reg, l4_acc_reg;
wire [31:0] ip_sum = (s1_first ? 32'd0 : ip_acc_reg) + {11'd0, s1_ip};
wire [31:0] l4_sum_seg = (s1_first ? 32'd0 : l4_acc_reg) + {11'd0, s1_l4};

wire [5:0]  hl = {s1_vihl[3:0], 2'b00};                       // IP header bytes
wire [15:0] l4_len = s1_tot - {10'd0, hl};
wire        is_udp = s1_proto == 8'd17;
wire        is_tcp = s1_proto == 8'd6;
wire [16:0] len17 = {3'd0, s1_len};
wire        ip_ok = (s1_len >= 14'd34) && (s1_type == 16'h0800) && (s1_vihl[7:4] == 4'd4) &&
                    (s1_vihl[3:0] >= 4'd5) && ({1'b0, s1_tot} >= {11'd0, hl}) &&
                    ({1'b0, s1_tot} + 17'd14 <= len17);
wire        not_frag = !s1_frag[13] && (s1_frag[12:0] == 13'd0);
wire        l4_fits = (is_udp && l4_len >= 16'd8) || (is_tcp && l4_len >= 16'd20);
wire [31:0] l4_sum = l4_sum_seg + {24'd0, s1_proto} + {16'd0, l4_len};
wire [15:0] ip_res = ~fold(ip_sum);
wire [15:0] l4_raw = ~fold(l4_sum);
wire [15:0] l4_res = (is_udp && l4_raw == 16'd0) ? 16'hffff : l4_raw;
wire [6:0]  l4_pos = 7'd14 + {1'b0, hl} + (is_udp ? 7'd6 : 7'd16);

always @(posedge clk) begin
    if (s1_valid) begin
        ip_acc_reg <= ip_sum;
        l4_acc_reg <= l4_sum_seg;
    end
    o_data <= s1_data;
    o_eof <= s1_eof;
    o_abort <= s1_abort;
    o_len <= s1_len;
    o_meta <= s1_meta;
    c_ip_en <= s1_cip && ip_ok && not_frag;
    c_ip <= ip_res;
    c_l4_en <= s1_cl4 && ip_ok && not_frag && (is_udp || is_tcp) && l4_fits;
    c_l4_pos <= l4_pos;
    c_l4 <= l4_res;
    if (rst) begin
        o_valid <= 1'b0;
    end else begin
        o_valid <= s1_valid;
    end
end

wire unused_ok = &{1'b0, s1_frag[15:14]};

endmodule

`default_nettype wire
