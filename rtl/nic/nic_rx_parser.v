// nic_rx_parser: receive frame parser, checksum checker and store-and-forward FIFO writer.
//
// The wire side (s_axis_rx_*) is always ready: every beat is accepted the cycle it is offered.
// Each beat of an accepted frame is written into the packet RAM (nic_rx_pkt_ram) at a
// speculative write pointer; at the frame's last beat the frame is either committed (the
// pointer stays advanced) or rolled back. A frame is dropped, and counted once, when it is
// (in this order of precedence) marked bad by the MAC (tuser[0] on the last beat), longer than
// RX_MAX_FRAME, shorter than 60 bytes, addressed to a MAC that is neither mac_addr nor
// broadcast, or when the packet RAM or the metadata queue has no room (the RAM is never
// overwritten and the wire is never stalled). With ctrl_rx_enable low at a frame's first beat
// the frame is discarded without being counted.
//
// Parsing: Ethernet II with at most one 802.1Q tag, IPv4 honouring IHL, UDP and TCP. The first
// HDR_BYTES bytes of the frame are kept in a header register; the fields used for the checksum
// ranges are read from it one cycle after the beat arrived (stage C1), when the header register
// already holds that beat. Per beat, nic_rx_csum sums the words of the IPv4 header range
// [L3, L3+4*IHL) and of the L4 range [L3+4*IHL, L3+total_length) (Ethernet padding excluded).
// At the end of the frame (stage C2) the sums are folded, the pseudo-header is added and the
// RX_FLAGS are formed; stage C3 presents one metadata record (meta_valid, one cycle, no ready:
// the owner guarantees room via meta_space_ok).
//
// Flags: RXF_IP for an IPv4 frame whose version/IHL/total length agree with the frame,
// RXF_IP_CSUM_OK when its header checksum verifies, RXF_L4 for a non-fragmented UDP/TCP frame
// with a complete L4 header, RXF_L4_CSUM_OK when its checksum verifies (a UDP checksum of 0
// means "none" and is reported OK), RXF_TRUNCATED for EtherType IPv4 with a bad version, IHL or
// total length (such a frame is never steered: meta_l4_ok is low).
//
// Assumption: tkeep is contiguous from lane 0 and all ones except on the last beat.
`timescale 1ns / 1ps
`default_nettype none

module nic_rx_parser #(
    parameter integer DATA_WIDTH = 512,
    parameter integer RAM_ADDR_W = 9      // packet RAM depth in beats, log2
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [DATA_WIDTH-1:0]   s_axis_rx_tdata,
    input  wire [DATA_WIDTH/8-1:0] s_axis_rx_tkeep,
    input  wire                    s_axis_rx_tvalid,
    output wire                    s_axis_rx_tready,
    input  wire                    s_axis_rx_tlast,
    input  wire                    s_axis_rx_tuser,

    input  wire [47:0]             mac_addr,
    input  wire                    ctrl_rx_enable,

    // packet RAM write port
    output wire                    pkt_wr_en,
    output wire [RAM_ADDR_W-1:0]   pkt_wr_addr,
    output wire [DATA_WIDTH-1:0]   pkt_wr_data,
    // beats released by the reader (frames fully read or dropped)
    input  wire                    pkt_rel_valid,
    input  wire [RAM_ADDR_W:0]     pkt_rel_beats,

    // metadata queue: room for at least 4 more records
    input  wire                    meta_space_ok,
    output wire                    meta_valid,
    output wire [15:0]             meta_len,
    output wire [7:0]              meta_flags,
    output wire                    meta_l4_ok,
    output wire [7:0]              meta_proto,
    output wire [31:0]             meta_dst_ip,
    output wire [15:0]             meta_dst_port,
    output wire [31:0]             meta_src_ip,
    output wire [15:0]             meta_src_port,

    // statistics increments (one-cycle pulses)
    output wire                    stat_drop_runt,
    output wire                    stat_drop_oversize,
    output wire                    stat_drop_mac,
    output wire                    stat_drop_bad,
    output wire                    stat_drop_fifo,
    output wire                    stat_bad_ip,
    output wire                    stat_bad_ip_csum,
    output wire                    stat_bad_l4_csum
);

/* verilator lint_off UNUSEDPARAM */
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam integer BYTES = DATA_WIDTH / 8;
localparam integer DEPTH = 1 << RAM_ADDR_W;
localparam integer HDR_BYTES = 86;      // 14 + 4 (VLAN) + 60 (IPv4 max) + 8 (ports .. UDP csum)
localparam integer KEEP_W = $clog2(BYTES + 1);
localparam integer SUM_W = 24;
localparam integer MIN_FRAME = 60;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0) begin
        $error("nic_rx_parser: DATA_WIDTH must be a power of two in 64..512");
        $finish;
    end
    if ((1 << RAM_ADDR_W) * BYTES < 2 * RX_MAX_FRAME) begin
        $error("nic_rx_parser: packet RAM must hold at least two maximum-size frames");
        $finish;
    end
end

function [15:0] fold32;
    input [31:0] v;
    reg [16:0] s1;
    reg [16:0] s2;
    begin
        s1 = {1'b0, v[15:0]} + {1'b0, v[31:16]};
        s2 = {1'b0, s1[15:0]} + {16'd0, s1[16]};
        fold32 = s2[15:0] + {15'd0, s2[16]};
    end
endfunction

// ------------------------------------------------------------------ stage 0: wire side
reg                  in_frame_reg;
reg                  frame_en_reg;
reg                  ovf_reg;
reg [7:0]            beat_idx_reg;
reg [15:0]           beat_off_reg;
reg [15:0]           len_reg;
reg [RAM_ADDR_W:0]   wr_ptr_reg;
reg [RAM_ADDR_W:0]   commit_ptr_reg;
reg [RAM_ADDR_W:0]   rel_ptr_reg;
reg [HDR_BYTES*8-1:0] hdr_reg;

wire beat = s_axis_rx_tvalid;   // always ready
wire first = !in_frame_reg;
wire cur_en = first ? ctrl_rx_enable : frame_en_reg;
wire [15:0] cur_off = first ? 16'd0 : beat_off_reg;
wire [7:0] cur_idx = first ? 8'd0 : beat_idx_reg;

reg [KEEP_W-1:0] nbytes;
integer kb;
always @* begin
    nbytes = {KEEP_W{1'b0}};
    for (kb = 0; kb < BYTES; kb = kb + 1) begin
        nbytes = nbytes + {{(KEEP_W-1){1'b0}}, s_axis_rx_tkeep[kb]};
    end
end

wire [16:0] len_sum = {1'b0, (first ? 16'd0 : len_reg)} + {{(17-KEEP_W){1'b0}}, nbytes};
wire [15:0] len_next = len_sum[16] ? 16'hFFFF : len_sum[15:0];
wire oversize = len_next > RX_MAX_FRAME[15:0];
wire [RAM_ADDR_W:0] used = wr_ptr_reg - rel_ptr_reg;
wire ram_full = used == DEPTH[RAM_ADDR_W:0];
wire ovf_cur = first ? 1'b0 : ovf_reg;
wire do_write = beat && cur_en && !ovf_cur && !oversize && !ram_full;
wire ovf_new = ovf_cur || (cur_en && !oversize && ram_full);

// header register with this beat merged in
reg [HDR_BYTES*8-1:0] hdr_next;
integer hp;
always @* begin
    hdr_next = hdr_reg;
    for (hp = 0; hp < HDR_BYTES; hp = hp + 1) begin
        if (beat && (hp / BYTES) == {24'd0, cur_idx}) begin
            hdr_next[hp*8 +: 8] = s_axis_rx_tdata[(hp % BYTES)*8 +: 8];
        end
    end
end

wire [47:0] dst_mac = {hdr_next[0*8 +: 8], hdr_next[1*8 +: 8], hdr_next[2*8 +: 8],
                       hdr_next[3*8 +: 8], hdr_next[4*8 +: 8], hdr_next[5*8 +: 8]};
wire mac_ok = (dst_mac == mac_addr) || (dst_mac == 48'hFFFF_FFFF_FFFF);

wire end_beat = beat && s_axis_rx_tlast;
wire why_bad = s_axis_rx_tuser;
wire why_oversize = !why_bad && oversize;
wire why_runt = !why_bad && !oversize && len_next < MIN_FRAME[15:0];
wire why_mac = !why_bad && !oversize && !why_runt && !mac_ok;
wire why_fifo = !why_bad && !oversize && !why_runt && mac_ok && (ovf_new || !meta_space_ok);
wire keep = cur_en && !why_bad && !oversize && !why_runt && !why_mac && !why_fifo;

wire [RAM_ADDR_W:0] wr_ptr_adv = wr_ptr_reg + {{RAM_ADDR_W{1'b0}}, do_write};

reg stat_runt_reg, stat_oversize_reg, stat_mac_reg, stat_bad_reg, stat_fifo_reg;

always @(posedge clk) begin
    if (beat) begin
        hdr_reg <= hdr_next;
    end
    if (rst) begin
        in_frame_reg <= 1'b0;
        frame_en_reg <= 1'b0;
        ovf_reg <= 1'b0;
        beat_idx_reg <= 8'd0;
        beat_off_reg <= 16'd0;
        len_reg <= 16'd0;
        wr_ptr_reg <= {(RAM_ADDR_W+1){1'b0}};
        commit_ptr_reg <= {(RAM_ADDR_W+1){1'b0}};
        rel_ptr_reg <= {(RAM_ADDR_W+1){1'b0}};
        stat_runt_reg <= 1'b0;
        stat_oversize_reg <= 1'b0;
        stat_mac_reg <= 1'b0;
        stat_bad_reg <= 1'b0;
        stat_fifo_reg <= 1'b0;
    end else begin
        if (pkt_rel_valid) begin
            rel_ptr_reg <= rel_ptr_reg + pkt_rel_beats;
        end
        stat_runt_reg <= end_beat && cur_en && why_runt;
        stat_oversize_reg <= end_beat && cur_en && why_oversize;
        stat_mac_reg <= end_beat && cur_en && why_mac;
        stat_bad_reg <= end_beat && cur_en && why_bad;
        stat_fifo_reg <= end_beat && cur_en && why_fifo;
        if (beat) begin
            in_frame_reg <= !s_axis_rx_tlast;
            frame_en_reg <= cur_en;
            ovf_reg <= ovf_new;
            beat_idx_reg <= (cur_idx == 8'hFF) ? 8'hFF : cur_idx + 8'd1;
            beat_off_reg <= ({1'b0, cur_off} + BYTES[16:0] > 17'h0FFFF) ? 16'hFFFF : cur_off + BYTES[15:0];
            len_reg <= len_next;
            if (s_axis_rx_tlast) begin
                if (keep) begin
                    wr_ptr_reg <= wr_ptr_adv;
                    commit_ptr_reg <= wr_ptr_adv;
                end else begin
                    wr_ptr_reg <= commit_ptr_reg;
                end
            end else begin
                wr_ptr_reg <= wr_ptr_adv;
            end
        end
    end
end

assign s_axis_rx_tready = 1'b1;
assign pkt_wr_en = do_write;
assign pkt_wr_addr = wr_ptr_reg[RAM_ADDR_W-1:0];
assign pkt_wr_data = s_axis_rx_tdata;

assign stat_drop_runt = stat_runt_reg;
assign stat_drop_oversize = stat_oversize_reg;
assign stat_drop_mac = stat_mac_reg;
assign stat_drop_bad = stat_bad_reg;
assign stat_drop_fifo = stat_fifo_reg;

// ------------------------------------------------------------------ stage C1: checksum sums
reg                  c1_valid_reg;
reg                  c1_first_reg;
reg                  c1_last_reg;
reg                  c1_keep_reg;
reg [15:0]           c1_len_reg;
reg [15:0]           c1_off_reg;
reg [DATA_WIDTH-1:0] c1_data_reg;

always @(posedge clk) begin
    c1_data_reg <= s_axis_rx_tdata;
    c1_first_reg <= first;
    c1_last_reg <= s_axis_rx_tlast;
    c1_keep_reg <= keep;
    c1_len_reg <= len_next;
    c1_off_reg <= cur_off;
    if (rst) begin
        c1_valid_reg <= 1'b0;
    end else begin
        c1_valid_reg <= beat && cur_en;
    end
end

function [7:0] hb;
    input [HDR_BYTES*8-1:0] h;
    input integer p;
    begin
        hb = h[p*8 +: 8];
    end
endfunction

wire [15:0] et_outer = {hb(hdr_reg, 12), hb(hdr_reg, 13)};
wire vlan = et_outer == 16'h8100;
wire [15:0] ethertype = vlan ? {hb(hdr_reg, 16), hb(hdr_reg, 17)} : et_outer;
wire [4:0] l3 = vlan ? 5'd18 : 5'd14;

function [7:0] l3b;     // byte x of the IPv4 header
    input [HDR_BYTES*8-1:0] h;
    input v;
    input integer x;
    begin
        l3b = v ? h[(18+x)*8 +: 8] : h[(14+x)*8 +: 8];
    end
endfunction

wire [7:0]  ver_ihl = l3b(hdr_reg, vlan, 0);
wire [3:0]  ihl = ver_ihl[3:0];
wire [15:0] tot_len = {l3b(hdr_reg, vlan, 2), l3b(hdr_reg, vlan, 3)};
/* verilator lint_off UNUSEDSIGNAL */
wire [7:0]  frag_hi = l3b(hdr_reg, vlan, 6);  // [7] reserved, [6] DF: unused
/* verilator lint_on UNUSEDSIGNAL */
wire [13:0] frag_field = {frag_hi[5:0], l3b(hdr_reg, vlan, 7)};  // MF, fragment offset
wire [7:0]  proto = l3b(hdr_reg, vlan, 9);
wire [31:0] src_ip = {l3b(hdr_reg, vlan, 12), l3b(hdr_reg, vlan, 13),
                      l3b(hdr_reg, vlan, 14), l3b(hdr_reg, vlan, 15)};
wire [31:0] dst_ip = {l3b(hdr_reg, vlan, 16), l3b(hdr_reg, vlan, 17),
                      l3b(hdr_reg, vlan, 18), l3b(hdr_reg, vlan, 19)};

// L4 header bytes 0..3 (ports) and 6..7 (UDP checksum) at offset L3 + 4*IHL
reg [47:0] l4_hdr;
integer li, lb;
// (every loop runs in full every time, so no loop variable is left assigned only under a
// condition: a synthesis tool would otherwise infer a latch for it)
always @* begin
    l4_hdr = 48'd0;
    for (li = 0; li < 16; li = li + 1) begin
        for (lb = 0; lb < 4; lb = lb + 1) begin      // source and destination ports
            if ({28'd0, ihl} == li) begin
                l4_hdr[47-lb*8 -: 8] = vlan ? hdr_reg[(18+4*li+lb)*8 +: 8]
                                            : hdr_reg[(14+4*li+lb)*8 +: 8];
            end
        end
        for (lb = 6; lb < 8; lb = lb + 1) begin      // the UDP checksum
            if ({28'd0, ihl} == li) begin
                l4_hdr[63-lb*8 -: 8] = vlan ? hdr_reg[(18+4*li+lb)*8 +: 8]
                                            : hdr_reg[(14+4*li+lb)*8 +: 8];
            end
        end
    end
end

wire [15:0] ip_start = {11'd0, l3};
wire [15:0] ip_hdr_end = {11'd0, l3} + {10'd0, ihl, 2'b00};
wire [16:0] ip_end_w = {12'd0, l3} + {1'b0, tot_len};
wire [15:0] ip_end = ip_end_w[16] ? 16'hFFFF : ip_end_w[15:0];

wire [SUM_W-1:0] ip_part;
wire [SUM_W-1:0] l4_part;

nic_rx_csum #(.DATA_WIDTH(DATA_WIDTH), .SUM_W(SUM_W)) ip_csum_inst (
    .data(c1_data_reg), .beat_off(c1_off_reg),
    .range_start(ip_start), .range_end(ip_hdr_end), .sum(ip_part)
);

nic_rx_csum #(.DATA_WIDTH(DATA_WIDTH), .SUM_W(SUM_W)) l4_csum_inst (
    .data(c1_data_reg), .beat_off(c1_off_reg),
    .range_start(ip_hdr_end), .range_end(ip_end), .sum(l4_part)
);

reg [31:0] ip_acc_reg;
reg [31:0] l4_acc_reg;
wire [31:0] ip_acc_next = (c1_first_reg ? 32'd0 : ip_acc_reg) + {{(32-SUM_W){1'b0}}, ip_part};
wire [31:0] l4_acc_next = (c1_first_reg ? 32'd0 : l4_acc_reg) + {{(32-SUM_W){1'b0}}, l4_part};

always @(posedge clk) begin
    if (c1_valid_reg) begin
        ip_acc_reg <= ip_acc_next;
        l4_acc_reg <= l4_acc_next;
    end
end

// ------------------------------------------------------------------ stage C2: verdicts
reg         c2_valid_reg;
reg [31:0]  c2_ip_acc_reg;
reg [31:0]  c2_l4_acc_reg;
reg [15:0]  c2_len_reg;
reg [15:0]  c2_ethertype_reg;
reg [4:0]   c2_l3_reg;
reg [7:0]   c2_ver_ihl_reg;
reg [15:0]  c2_tot_len_reg;
reg [13:0]  c2_frag_reg;
reg [7:0]   c2_proto_reg;
reg [31:0]  c2_src_ip_reg;
reg [31:0]  c2_dst_ip_reg;
reg [47:0]  c2_l4_hdr_reg;  // ports, UDP checksum

always @(posedge clk) begin
    c2_ip_acc_reg <= ip_acc_next;
    c2_l4_acc_reg <= l4_acc_next;
    c2_len_reg <= c1_len_reg;
    c2_ethertype_reg <= ethertype;
    c2_l3_reg <= l3;
    c2_ver_ihl_reg <= ver_ihl;
    c2_tot_len_reg <= tot_len;
    c2_frag_reg <= frag_field;
    c2_proto_reg <= proto;
    c2_src_ip_reg <= src_ip;
    c2_dst_ip_reg <= dst_ip;
    c2_l4_hdr_reg <= l4_hdr;
    if (rst) begin
        c2_valid_reg <= 1'b0;
    end else begin
        c2_valid_reg <= c1_valid_reg && c1_last_reg && c1_keep_reg;
    end
end

wire [15:0] hdr_len = {10'd0, c2_ver_ihl_reg[3:0], 2'b00};
wire is_ip_et = c2_ethertype_reg == 16'h0800;
wire [16:0] ip_frame_end = {12'd0, c2_l3_reg} + {1'b0, c2_tot_len_reg};
wire ip_sane = is_ip_et && c2_ver_ihl_reg[7:4] == 4'd4 && c2_ver_ihl_reg[3:0] >= 4'd5 &&
               c2_tot_len_reg >= hdr_len && ip_frame_end <= {1'b0, c2_len_reg};
wire is_frag = c2_frag_reg != 14'd0;  // MF or fragment offset
wire [15:0] l4_len = c2_tot_len_reg - hdr_len;
wire is_udp = c2_proto_reg == IPPROTO_UDP[7:0];
wire is_tcp = c2_proto_reg == IPPROTO_TCP[7:0];
wire l4_ok = ip_sane && !is_frag && ((is_udp && l4_len >= 16'd8) || (is_tcp && l4_len >= 16'd20));
wire ip_csum_good = fold32(c2_ip_acc_reg) == 16'hFFFF;
wire [31:0] pseudo = c2_l4_acc_reg + {16'd0, c2_src_ip_reg[31:16]} + {16'd0, c2_src_ip_reg[15:0]}
                   + {16'd0, c2_dst_ip_reg[31:16]} + {16'd0, c2_dst_ip_reg[15:0]}
                   + {24'd0, c2_proto_reg} + {16'd0, l4_len};
wire udp_no_csum = is_udp && c2_l4_hdr_reg[15:0] == 16'd0;
wire l4_csum_good = fold32(pseudo) == 16'hFFFF || udp_no_csum;

wire [7:0] flags = (ip_sane ? RXF_IP[7:0] : 8'd0)
                 | (ip_sane && ip_csum_good ? RXF_IP_CSUM_OK[7:0] : 8'd0)
                 | (l4_ok ? RXF_L4[7:0] : 8'd0)
                 | (l4_ok && l4_csum_good ? RXF_L4_CSUM_OK[7:0] : 8'd0)
                 | (is_ip_et && !ip_sane ? RXF_TRUNCATED[7:0] : 8'd0);

// ------------------------------------------------------------------ stage C3: record out
reg         m_valid_reg;
reg [15:0]  m_len_reg;
reg [7:0]   m_flags_reg;
reg         m_l4_ok_reg;
reg [7:0]   m_proto_reg;
reg [31:0]  m_dst_ip_reg;
reg [15:0]  m_dst_port_reg;
reg [31:0]  m_src_ip_reg;
reg [15:0]  m_src_port_reg;
reg         stat_bad_ip_reg, stat_bad_ip_csum_reg, stat_bad_l4_csum_reg;

always @(posedge clk) begin
    m_len_reg <= c2_len_reg;
    m_flags_reg <= flags;
    m_l4_ok_reg <= l4_ok;
    m_proto_reg <= c2_proto_reg;
    m_dst_ip_reg <= c2_dst_ip_reg;
    m_src_ip_reg <= c2_src_ip_reg;
    m_src_port_reg <= c2_l4_hdr_reg[47:32];
    m_dst_port_reg <= c2_l4_hdr_reg[31:16];
    if (rst) begin
        m_valid_reg <= 1'b0;
        stat_bad_ip_reg <= 1'b0;
        stat_bad_ip_csum_reg <= 1'b0;
        stat_bad_l4_csum_reg <= 1'b0;
    end else begin
        m_valid_reg <= c2_valid_reg;
        stat_bad_ip_reg <= c2_valid_reg && is_ip_et && !ip_sane;
        stat_bad_ip_csum_reg <= c2_valid_reg && ip_sane && !ip_csum_good;
        stat_bad_l4_csum_reg <= c2_valid_reg && l4_ok && !l4_csum_good;
    end
end

assign meta_valid = m_valid_reg;
assign meta_len = m_len_reg;
assign meta_flags = m_flags_reg;
assign meta_l4_ok = m_l4_ok_reg;
assign meta_proto = m_proto_reg;
assign meta_dst_ip = m_dst_ip_reg;
assign meta_dst_port = m_dst_port_reg;
assign meta_src_ip = m_src_ip_reg;
assign meta_src_port = m_src_port_reg;
assign stat_bad_ip = stat_bad_ip_reg;
assign stat_bad_ip_csum = stat_bad_ip_csum_reg;
assign stat_bad_l4_csum = stat_bad_l4_csum_reg;

endmodule

`default_nettype wire
