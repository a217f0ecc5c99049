// nic_filter: receive steering filter table (flow steering to VIs).
//
// 2^FILTER_LOG2 entries programmed by the filt_* broadcast (fields as in the FILT_* registers):
//   ctrl[0] valid, ctrl[1] full 5-tuple match, ctrl[15:8] IP protocol, ctrl[31:16] VI,
//   local_ip (frame's destination IPv4), ports[15:0] local port (frame's destination port),
//   ports[31:16] remote port (frame's source port), remote_ip (frame's source IPv4).
// A "wild" entry matches (protocol, local IP, local port); a "full" entry additionally the
// remote IP and port. An entry naming a VI >= NUM_VI never matches. The lowest-index matching
// full entry wins; else the lowest-index matching wild entry; else a miss (VI 0, index 0xFFFF).
// Only requests with l4_ok (sane IPv4, unfragmented UDP/TCP) can match.
//
// The table is held in registers and compared in parallel (one lookup per cycle): stage 1
// registers the per-entry match vectors, stage 2 the priority-encoded result. The pipeline
// holds while the output is valid and not ready. USER_W bits ride along unchanged.
`timescale 1ns / 1ps
`default_nettype none

module nic_filter #(
    parameter integer FILTER_LOG2 = 6,
    parameter integer NUM_VI = 16,
    parameter integer VI_W = $clog2(NUM_VI),
    parameter integer USER_W = 8
) (
    input  wire                    clk,
    input  wire                    rst,

    // programming
    input  wire                    filt_valid,
    input  wire [FILTER_LOG2-1:0]  filt_index,
    input  wire [31:0]             filt_ctrl,
    input  wire [31:0]             filt_local_ip,
    input  wire [31:0]             filt_ports,
    input  wire [31:0]             filt_remote_ip,

    // lookup request
    input  wire                    s_valid,
    output wire                    s_ready,
    input  wire                    s_l4_ok,
    input  wire [7:0]              s_proto,
    input  wire [31:0]             s_dst_ip,
    input  wire [15:0]             s_dst_port,
    input  wire [31:0]             s_src_ip,
    input  wire [15:0]             s_src_port,
    input  wire [USER_W-1:0]       s_user,

    // lookup result
    output wire                    m_valid,
    input  wire                    m_ready,
    output wire                    m_hit,
    output wire [15:0]             m_index,     // 0xFFFF on a miss
    output wire [VI_W-1:0]         m_vi,        // 0 on a miss
    output wire [USER_W-1:0]       m_user
);

localparam integer ENTRIES = 1 << FILTER_LOG2;

initial begin
    if (FILTER_LOG2 < 1 || FILTER_LOG2 > 10) begin
        $error("nic_filter: FILTER_LOG2 must be 1..10");
        $finish;
    end
    if (NUM_VI < 1 || VI_W < 1 || (1 << VI_W) < NUM_VI || VI_W > 16) begin
        $error("nic_filter: VI_W too small for NUM_VI");
        $finish;
    end
end

// table (registers: compared in parallel every cycle)
reg [ENTRIES-1:0]  ent_valid_reg;
reg [ENTRIES-1:0]  ent_full_reg;
reg [7:0]          ent_proto_reg     [0:ENTRIES-1];
reg [VI_W-1:0]     ent_vi_reg        [0:ENTRIES-1];
reg [31:0]         ent_local_ip_reg  [0:ENTRIES-1];
reg [15:0]         ent_local_port_reg[0:ENTRIES-1];
reg [15:0]         ent_remote_port_reg[0:ENTRIES-1];
reg [31:0]         ent_remote_ip_reg [0:ENTRIES-1];

wire [15:0] filt_vi16 = filt_ctrl[31:16];
wire filt_vi_ok = {16'd0, filt_vi16} < NUM_VI;
/* verilator lint_off UNUSEDSIGNAL */
wire [5:0] filt_ctrl_unused = filt_ctrl[7:2];  // reserved bits
/* verilator lint_on UNUSEDSIGNAL */

always @(posedge clk) begin
    if (filt_valid) begin
        ent_full_reg[filt_index] <= filt_ctrl[1];
        ent_proto_reg[filt_index] <= filt_ctrl[15:8];
        ent_vi_reg[filt_index] <= filt_vi16[VI_W-1:0];
        ent_local_ip_reg[filt_index] <= filt_local_ip;
        ent_local_port_reg[filt_index] <= filt_ports[15:0];
        ent_remote_port_reg[filt_index] <= filt_ports[31:16];
        ent_remote_ip_reg[filt_index] <= filt_remote_ip;
    end
    if (rst) begin
        ent_valid_reg <= {ENTRIES{1'b0}};
    end else if (filt_valid) begin
        ent_valid_reg[filt_index] <= filt_ctrl[0] && filt_vi_ok;
    end
end

// ------------------------------------------------------------------ pipeline
reg                 s1_valid_reg;
reg [ENTRIES-1:0]   s1_wild_reg;
reg [ENTRIES-1:0]   s1_full_reg;
reg [USER_W-1:0]    s1_user_reg;

reg                 s2_valid_reg;
reg                 s2_hit_reg;
reg [15:0]          s2_index_reg;
reg [VI_W-1:0]      s2_vi_reg;
reg [USER_W-1:0]    s2_user_reg;

wire adv2 = !s2_valid_reg || m_ready;
wire adv1 = !s1_valid_reg || adv2;

assign s_ready = adv1;
assign m_valid = s2_valid_reg;
assign m_hit = s2_hit_reg;
assign m_index = s2_index_reg;
assign m_vi = s2_vi_reg;
assign m_user = s2_user_reg;

reg [ENTRIES-1:0] wild_match;
reg [ENTRIES-1:0] full_match;
integer e;
always @* begin
    for (e = 0; e < ENTRIES; e = e + 1) begin
        wild_match[e] = ent_valid_reg[e] && s_l4_ok && ent_proto_reg[e] == s_proto &&
                        ent_local_ip_reg[e] == s_dst_ip && ent_local_port_reg[e] == s_dst_port;
        full_match[e] = wild_match[e] && ent_full_reg[e] &&
                        ent_remote_ip_reg[e] == s_src_ip && ent_remote_port_reg[e] == s_src_port;
        wild_match[e] = wild_match[e] && !ent_full_reg[e];
    end
end

// priority encode: lowest full match, else lowest wild match
reg                   pe_hit;
reg [FILTER_LOG2-1:0] pe_index;
integer q;
always @* begin
    pe_hit = 1'b0;
    pe_index = {FILTER_LOG2{1'b0}};
    for (q = ENTRIES - 1; q >= 0; q = q - 1) begin
        if (s1_wild_reg[q]) begin
            pe_hit = 1'b1;
            pe_index = q[FILTER_LOG2-1:0];
        end
    end
    if (|s1_full_reg) begin
        for (q = ENTRIES - 1; q >= 0; q = q - 1) begin
            if (s1_full_reg[q]) begin
                pe_index = q[FILTER_LOG2-1:0];
            end
        end
    end
end

always @(posedge clk) begin
    if (adv1) begin
        s1_wild_reg <= wild_match;
        s1_full_reg <= full_match;
        s1_user_reg <= s_user;
    end
    if (adv2) begin
        s2_hit_reg <= pe_hit || (|s1_full_reg);
        s2_index_reg <= (pe_hit || (|s1_full_reg)) ? {{(16-FILTER_LOG2){1'b0}}, pe_index} : 16'hFFFF;
        // the entry's VI is read at stage 2: a table write in between takes effect at once
        s2_vi_reg <= (pe_hit || (|s1_full_reg)) ? ent_vi_reg[pe_index] : {VI_W{1'b0}};
        s2_user_reg <= s1_user_reg;
    end
    if (rst) begin
        s1_valid_reg <= 1'b0;
        s2_valid_reg <= 1'b0;
    end else begin
        if (adv1) begin
            s1_valid_reg <= s_valid;
        end
        if (adv2) begin
            s2_valid_reg <= s1_valid_reg;
        end
    end
end

endmodule

`default_nettype wire
