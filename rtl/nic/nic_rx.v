// nic_rx: the NIC's receive path (wire -> parser/checksums -> store-and-forward FIFO -> filter
// steering -> RX descriptors -> DMA writes into host buffers -> RX events).
//
// Blocks:
//   nic_rx_parser      frame checks (drops: tuser bad, oversize, runt, MAC, FIFO full),
//                      Ethernet/802.1Q/IPv4/UDP/TCP parse, IPv4 and L4 checksum verification,
//                      writes frames into nic_rx_pkt_ram and one metadata record per frame
//   nic_rx_pkt_ram     packet RAM, 2^RX_FIFO_LOG2 bytes (default 32 KiB)
//   nic_rx_fifo        metadata queue (one record per stored frame)
//   nic_filter         wild / full 5-tuple steering table (filt_* broadcast)
//   nic_rx_desc_fetch  per-VI RX rings: producer/consumer state, descriptor prefetch cache
//   nic_rx_plan        walk descriptors, reserve the event, commit, chunking, translation
//   nic_rx_dma         AXI4 write bursts with realignment, B tracking, RX events
//   nic_rx_xlat_mux    one translate port shared by descriptor fetch and packet writes
// Faults (ERR_RX_DESC_FAULT, ERR_RX_WRITE_FAULT) are sent as ERROR events on the err_ev_* port
// (ev_reserved = 0); the VI is marked faulted when nic_evq broadcasts the fault on flt_*
// (any fault of the VI, TX's too, stops RX serving it until its next enable commit).
//
// Hookup in nic.v. The RX resources nic.v reserves are named here by localparams (values as
// in nic.v today; buffer-table port 4 is not needed: tie xl_req_valid[4] = 0 and
// xl_resp_ready[4] = 1):
//   localparam integer BT_RX = 3, RD_RX = 2, WR_RX = 1, RSV_RX = 1, EV_RX = 1, EV_RXE = 2;
//
//   nic_rx #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(ADDR_WIDTH), .NUM_VI(NUM_VI), .VI_W(VI_W),
//            .FILTER_LOG2(FILTER_LOG2)) rx_inst (
//       .clk(clk), .rst(rst),
//       .s_axis_rx_tdata(s_axis_rx_tdata), .s_axis_rx_tkeep(s_axis_rx_tkeep),
//       .s_axis_rx_tvalid(s_axis_rx_tvalid), .s_axis_rx_tready(s_axis_rx_tready),
//       .s_axis_rx_tlast(s_axis_rx_tlast), .s_axis_rx_tuser(s_axis_rx_tuser),
//       .cfg_vi_valid(cfg_vi_valid), .cfg_vi(cfg_vi), .cfg_vi_enable(cfg_vi_enable),
//       .cfg_vi_owner(cfg_vi_owner), .cfg_vi_rxq_base(cfg_vi_rxq_base),
//       .cfg_vi_rxq_log2(cfg_vi_rxq_log2),
//       .db_valid(db_valid), .db_vi(db_vi), .db_kind(db_kind), .db_value(db_value),
//       .filt_valid(filt_valid), .filt_index(filt_index), .filt_ctrl(filt_ctrl),
//       .filt_local_ip(filt_local_ip), .filt_ports(filt_ports), .filt_remote_ip(filt_remote_ip),
//       .ctrl_rx_enable(ctrl_rx_enable), .mac_addr(mac_addr),
//       .flt_valid(flt_valid), .flt_vi(flt_vi),
//       .xlat_req_valid(xl_req_valid[BT_RX]), .xlat_req_ready(xl_req_ready[BT_RX]),
//       .xlat_req_iova(xl_req_iova[BT_RX*64 +: 64]),
//       .xlat_req_owner(xl_req_owner[BT_RX*16 +: 16]), .xlat_req_len(xl_req_len[BT_RX*16 +: 16]),
//       .xlat_resp_valid(xl_resp_valid[BT_RX]), .xlat_resp_ready(xl_resp_ready[BT_RX]),
//       .xlat_resp_addr(xl_resp_addr[BT_RX*AW +: AW]), .xlat_resp_fault(xl_resp_fault[BT_RX]),
//       .m_axi_rd_arid(rd_arid[RD_RX*4 +: 4]), .m_axi_rd_araddr(rd_araddr[RD_RX*AW +: AW]),
//       .m_axi_rd_arlen(rd_arlen[RD_RX*8 +: 8]), .m_axi_rd_arsize(rd_arsize[RD_RX*3 +: 3]),
//       .m_axi_rd_arburst(rd_arburst[RD_RX*2 +: 2]), .m_axi_rd_arvalid(rd_arvalid[RD_RX]),
//       .m_axi_rd_arready(rd_arready[RD_RX]),
//       .m_axi_rd_rid(rd_rid), .m_axi_rd_rdata(rd_rdata), .m_axi_rd_rresp(rd_rresp),
//       .m_axi_rd_rlast(rd_rlast), .m_axi_rd_rvalid(rd_rvalid[RD_RX]),
//       .m_axi_rd_rready(rd_rready[RD_RX]),
//       .m_axi_wr_awid(wr_awid[WR_RX*4 +: 4]), .m_axi_wr_awaddr(wr_awaddr[WR_RX*AW +: AW]),
//       .m_axi_wr_awlen(wr_awlen[WR_RX*8 +: 8]), .m_axi_wr_awsize(wr_awsize[WR_RX*3 +: 3]),
//       .m_axi_wr_awburst(wr_awburst[WR_RX*2 +: 2]), .m_axi_wr_awvalid(wr_awvalid[WR_RX]),
//       .m_axi_wr_awready(wr_awready[WR_RX]),
//       .m_axi_wr_wdata(wr_wdata[WR_RX*DATA_WIDTH +: DATA_WIDTH]),
//       .m_axi_wr_wstrb(wr_wstrb[WR_RX*BYTES +: BYTES]), .m_axi_wr_wlast(wr_wlast[WR_RX]),
//       .m_axi_wr_wvalid(wr_wvalid[WR_RX]), .m_axi_wr_wready(wr_wready[WR_RX]),
//       .m_axi_wr_bid(wr_bid), .m_axi_wr_bresp(wr_bresp), .m_axi_wr_bvalid(wr_bvalid[WR_RX]),
//       .m_axi_wr_bready(wr_bready[WR_RX]),
//       .rsv_req_valid(rsv_req_valid[RSV_RX]), .rsv_req_ready(rsv_req_ready[RSV_RX]),
//       .rsv_req_vi(rsv_req_vi[RSV_RX*VI_W +: VI_W]), .rsv_resp_valid(rsv_resp_valid[RSV_RX]),
//       .rsv_resp_ok(rsv_resp_ok[RSV_RX]),
//       .ev_valid(ev_valid[EV_RX]), .ev_ready(ev_ready[EV_RX]),
//       .ev_vi(ev_vi[EV_RX*VI_W +: VI_W]), .ev_type(ev_type[EV_RX*4 +: 4]),
//       .ev_code(ev_code[EV_RX*8 +: 8]), .ev_index(ev_index[EV_RX*16 +: 16]),
//       .ev_len(ev_len[EV_RX*16 +: 16]), .ev_filter(ev_filter[EV_RX*16 +: 16]),
//       .ev_rx_flags(ev_rx_flags[EV_RX*8 +: 8]), .ev_ndesc(ev_ndesc[EV_RX*8 +: 8]),
//       .ev_reserved(ev_reserved[EV_RX]),
//       .err_ev_valid(ev_valid[EV_RXE]), .err_ev_ready(ev_ready[EV_RXE]),
//       .err_ev_vi(ev_vi[EV_RXE*VI_W +: VI_W]), .err_ev_type(ev_type[EV_RXE*4 +: 4]),
//       .err_ev_code(ev_code[EV_RXE*8 +: 8]), .err_ev_index(ev_index[EV_RXE*16 +: 16]),
//       .err_ev_len(ev_len[EV_RXE*16 +: 16]), .err_ev_filter(ev_filter[EV_RXE*16 +: 16]),
//       .err_ev_rx_flags(ev_rx_flags[EV_RXE*8 +: 8]), .err_ev_ndesc(ev_ndesc[EV_RXE*8 +: 8]),
//       .err_ev_reserved(ev_reserved[EV_RXE]),
//       .stat_inc(rx_stat_inc), .stat_bytes(rx_stat_bytes),
//       .stat_rx_drop_bad(rx_stat_drop_bad), .stat_rx_drop_fifo(rx_stat_drop_fifo),
//       .sts_vi(sts_vi), .sts_rx_cons(rx_sts_rx_cons)
//   );
// and delete the "RX:" placeholder assignments of those signals. Error events carry
// ev_reserved = 0; RX events ev_reserved = 1.
//
// Extra drop reasons: tuser-bad frames are counted in RX_DROP_RUNT (also pulsed on
// stat_rx_drop_bad); packet-RAM/metadata overflow has its own counter, RX_DROP_FIFO (also
// pulsed on stat_rx_drop_fifo).
`timescale 1ns / 1ps
`default_nettype none

module nic_rx #(
    parameter integer DATA_WIDTH = 512,
    parameter integer ADDR_WIDTH = 48,
    parameter integer NUM_VI = 16,
    parameter integer VI_W = $clog2(NUM_VI),
    parameter integer FILTER_LOG2 = 6,
    parameter integer RX_FIFO_LOG2 = 15,     // packet RAM bytes, log2 (>= 2 jumbo frames)
    parameter integer DESC_CACHE_LOG2 = 7,   // RX descriptors cached per VI, log2
    // descriptor fetch bursts in flight, log2; each reads up to 16 descriptors, and the cache
    // and the fetches in flight must cover the descriptor read latency at the frame rate
    // (2^7 descriptors: ~500 cycles at one 256-byte frame per 4-5 cycles)
    parameter integer DESC_FETCH_LOG2 = 3,
    parameter integer OUT_LOG2 = 6,          // write bursts in flight, log2
    parameter integer CPL_LOG2 = 5           // frames awaiting B responses, log2
) (
    input  wire                     clk,
    input  wire                     rst,

    // wire
    input  wire [DATA_WIDTH-1:0]    s_axis_rx_tdata,
    input  wire [DATA_WIDTH/8-1:0]  s_axis_rx_tkeep,
    input  wire                     s_axis_rx_tvalid,
    output wire                     s_axis_rx_tready,
    input  wire                     s_axis_rx_tlast,
    input  wire                     s_axis_rx_tuser,

    // configuration, doorbells, filters, control (from nic_regs)
    input  wire                     cfg_vi_valid,
    input  wire [VI_W-1:0]          cfg_vi,
    input  wire                     cfg_vi_enable,
    input  wire [15:0]              cfg_vi_owner,
    input  wire [63:0]              cfg_vi_rxq_base,
    input  wire [3:0]               cfg_vi_rxq_log2,
    input  wire                     db_valid,
    input  wire [VI_W-1:0]          db_vi,
    input  wire [1:0]               db_kind,
    input  wire [31:0]              db_value,
    input  wire                     filt_valid,
    input  wire [FILTER_LOG2-1:0]   filt_index,
    input  wire [31:0]              filt_ctrl,
    input  wire [31:0]              filt_local_ip,
    input  wire [31:0]              filt_ports,
    input  wire [31:0]              filt_remote_ip,
    input  wire                     ctrl_rx_enable,
    input  wire [47:0]              mac_addr,

    // fault broadcast (nic_evq)
    input  wire                     flt_valid,
    input  wire [VI_W-1:0]          flt_vi,

    // buffer-table translate port
    output wire                     xlat_req_valid,
    input  wire                     xlat_req_ready,
    output wire [63:0]              xlat_req_iova,
    output wire [15:0]              xlat_req_owner,
    output wire [15:0]              xlat_req_len,
    input  wire                     xlat_resp_valid,
    output wire                     xlat_resp_ready,
    input  wire [ADDR_WIDTH-1:0]    xlat_resp_addr,
    input  wire                     xlat_resp_fault,
    input  wire                     xlat_resp_epoch,
    output wire [15:0]              xlat_ret,      // DMA-fence retirements {epoch 1, epoch 0}

    // AXI4 read master: descriptor fetch
    output wire [3:0]               m_axi_rd_arid,
    output wire [ADDR_WIDTH-1:0]    m_axi_rd_araddr,
    output wire [7:0]               m_axi_rd_arlen,
    output wire [2:0]               m_axi_rd_arsize,
    output wire [1:0]               m_axi_rd_arburst,
    output wire                     m_axi_rd_arvalid,
    input  wire                     m_axi_rd_arready,
    input  wire [3:0]               m_axi_rd_rid,
    input  wire [DATA_WIDTH-1:0]    m_axi_rd_rdata,
    input  wire [1:0]               m_axi_rd_rresp,
    input  wire                     m_axi_rd_rlast,
    input  wire                     m_axi_rd_rvalid,
    output wire                     m_axi_rd_rready,

    // AXI4 write master: packet data
    output wire [3:0]               m_axi_wr_awid,
    output wire [ADDR_WIDTH-1:0]    m_axi_wr_awaddr,
    output wire [7:0]               m_axi_wr_awlen,
    output wire [2:0]               m_axi_wr_awsize,
    output wire [1:0]               m_axi_wr_awburst,
    output wire                     m_axi_wr_awvalid,
    input  wire                     m_axi_wr_awready,
    output wire [DATA_WIDTH-1:0]    m_axi_wr_wdata,
    output wire [DATA_WIDTH/8-1:0]  m_axi_wr_wstrb,
    output wire                     m_axi_wr_wlast,
    output wire                     m_axi_wr_wvalid,
    input  wire                     m_axi_wr_wready,
    input  wire [3:0]               m_axi_wr_bid,
    input  wire [1:0]               m_axi_wr_bresp,
    input  wire                     m_axi_wr_bvalid,
    output wire                     m_axi_wr_bready,

    // event reservation
    output wire                     rsv_req_valid,
    input  wire                     rsv_req_ready,
    output wire [VI_W-1:0]          rsv_req_vi,
    input  wire                     rsv_resp_valid,
    input  wire                     rsv_resp_ok,

    // RX events
    output wire                     ev_valid,
    input  wire                     ev_ready,
    output wire [VI_W-1:0]          ev_vi,
    output wire [3:0]               ev_type,
    output wire [7:0]               ev_code,
    output wire [15:0]              ev_index,
    output wire [15:0]              ev_len,
    output wire [15:0]              ev_filter,
    output wire [7:0]               ev_rx_flags,
    output wire [7:0]               ev_ndesc,
    output wire                     ev_reserved,
    output wire [1:0]               ev_epoch,    // the VI epoch of the frame (nic_evq)

    // RX error events (fault reports)
    output wire                     err_ev_valid,
    input  wire                     err_ev_ready,
    output wire [VI_W-1:0]          err_ev_vi,
    output wire [3:0]               err_ev_type,
    output wire [7:0]               err_ev_code,
    output wire [15:0]              err_ev_index,
    output wire [15:0]              err_ev_len,
    output wire [15:0]              err_ev_filter,
    output wire [7:0]               err_ev_rx_flags,
    output wire [7:0]               err_ev_ndesc,
    output wire                     err_ev_reserved,
    output wire [1:0]               err_ev_epoch,  // the VI epoch of the faulted work

    // statistics: bit i increments counter STAT_i; RX_BYTES advances by stat_bytes
    output wire [31:0]              stat_inc,
    output wire [15:0]              stat_bytes,
    output wire                     stat_rx_drop_bad,
    output wire                     stat_rx_drop_fifo,

    // RX consumer index of VI sts_vi, registered (VI_EVQ_PROD[31:16])
    input  wire [VI_W-1:0]          sts_vi,
    output wire [15:0]              sts_rx_cons
);

/* verilator lint_off UNUSEDPARAM */
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam integer BYTES = DATA_WIDTH / 8;
localparam integer RAM_ADDR_W = RX_FIFO_LOG2 - $clog2(BYTES);
localparam integer META_LOG2 = RX_FIFO_LOG2 - 6;   // one record per 64 bytes of packet RAM
localparam integer META_W = 16 + 8 + 1 + 8 + 32 + 16 + 32 + 16;

initial begin
    if (DATA_WIDTH < 64 || DATA_WIDTH > 512 || (DATA_WIDTH & (DATA_WIDTH - 1)) != 0) begin
        $error("nic_rx: DATA_WIDTH must be a power of two in 64..512");
        $finish;
    end
    if (RX_FIFO_LOG2 < 15 || RX_FIFO_LOG2 > 20) begin
        $error("nic_rx: RX_FIFO_LOG2 must be 15..20 (at least two jumbo frames)");
        $finish;
    end
    if (DESC_CACHE_LOG2 < 1 || DESC_CACHE_LOG2 > 7) begin
        $error("nic_rx: DESC_CACHE_LOG2 must be 1..7");
        $finish;
    end
    if (DESC_FETCH_LOG2 < 1 || DESC_FETCH_LOG2 > 5) begin
        $error("nic_rx: DESC_FETCH_LOG2 must be 1..5");
        $finish;
    end
    if (NUM_VI < 1 || NUM_VI > 256 || (1 << VI_W) < NUM_VI) begin
        $error("nic_rx: NUM_VI must be 1..256 and fit VI_W");
        $finish;
    end
end

/* verilator lint_off PINCONNECTEMPTY */

// ------------------------------------------------------------------ parser + packet RAM
wire                   pkt_wr_en;
wire [RAM_ADDR_W-1:0]  pkt_wr_addr;
wire [DATA_WIDTH-1:0]  pkt_wr_data;
wire                   pkt_rd_en;
wire [RAM_ADDR_W-1:0]  pkt_rd_addr;
wire [DATA_WIDTH-1:0]  pkt_rd_data;
wire                   pkt_rel_valid;
wire [RAM_ADDR_W:0]    pkt_rel_beats;

wire                   meta_valid;
wire [15:0]            meta_len;
wire [7:0]             meta_flags;
wire                   meta_l4_ok;
wire [7:0]             meta_proto;
wire [31:0]            meta_dst_ip;
wire [15:0]            meta_dst_port;
wire [31:0]            meta_src_ip;
wire [15:0]            meta_src_port;
wire [META_LOG2:0]     meta_count;
wire                   meta_space_ok = meta_count < ((1 << META_LOG2) - 4);

wire st_runt, st_oversize, st_mac, st_bad, st_fifo, st_bad_ip, st_bad_ip_csum, st_bad_l4;

nic_rx_parser #(.DATA_WIDTH(DATA_WIDTH), .RAM_ADDR_W(RAM_ADDR_W)) parser_inst (
    .clk(clk), .rst(rst),
    .s_axis_rx_tdata(s_axis_rx_tdata), .s_axis_rx_tkeep(s_axis_rx_tkeep),
    .s_axis_rx_tvalid(s_axis_rx_tvalid), .s_axis_rx_tready(s_axis_rx_tready),
    .s_axis_rx_tlast(s_axis_rx_tlast), .s_axis_rx_tuser(s_axis_rx_tuser),
    .mac_addr(mac_addr), .ctrl_rx_enable(ctrl_rx_enable),
    .pkt_wr_en(pkt_wr_en), .pkt_wr_addr(pkt_wr_addr), .pkt_wr_data(pkt_wr_data),
    .pkt_rel_valid(pkt_rel_valid), .pkt_rel_beats(pkt_rel_beats),
    .meta_space_ok(meta_space_ok), .meta_valid(meta_valid), .meta_len(meta_len),
    .meta_flags(meta_flags), .meta_l4_ok(meta_l4_ok), .meta_proto(meta_proto),
    .meta_dst_ip(meta_dst_ip), .meta_dst_port(meta_dst_port), .meta_src_ip(meta_src_ip),
    .meta_src_port(meta_src_port),
    .stat_drop_runt(st_runt), .stat_drop_oversize(st_oversize), .stat_drop_mac(st_mac),
    .stat_drop_bad(st_bad), .stat_drop_fifo(st_fifo), .stat_bad_ip(st_bad_ip),
    .stat_bad_ip_csum(st_bad_ip_csum), .stat_bad_l4_csum(st_bad_l4)
);

nic_rx_pkt_ram #(.WIDTH(DATA_WIDTH), .ADDR_W(RAM_ADDR_W)) pkt_ram_inst (
    .clk(clk),
    .wr_en(pkt_wr_en), .wr_addr(pkt_wr_addr), .wr_data(pkt_wr_data),
    .rd_en(pkt_rd_en), .rd_addr(pkt_rd_addr), .rd_data(pkt_rd_data)
);

wire [META_W-1:0] mq_data;
wire              mq_valid;
wire              mq_ready;
nic_rx_fifo #(.WIDTH(META_W), .DEPTH_LOG2(META_LOG2)) meta_fifo (
    .clk(clk), .rst(rst),
    .s_data({meta_len, meta_flags, meta_l4_ok, meta_proto, meta_dst_ip, meta_dst_port,
             meta_src_ip, meta_src_port}),
    .s_valid(meta_valid), .s_ready(),
    .m_data(mq_data), .m_valid(mq_valid), .m_ready(mq_ready),
    .count(meta_count)
);

wire [15:0] mq_len;
wire [7:0]  mq_flags;
wire        mq_l4_ok;
wire [7:0]  mq_proto;
wire [31:0] mq_dst_ip;
wire [15:0] mq_dst_port;
wire [31:0] mq_src_ip;
wire [15:0] mq_src_port;
assign {mq_len, mq_flags, mq_l4_ok, mq_proto, mq_dst_ip, mq_dst_port, mq_src_ip, mq_src_port} =
    mq_data;

// ------------------------------------------------------------------ steering
wire            f_valid;
wire            f_ready;
wire            f_hit;
wire [15:0]     f_index;
wire [VI_W-1:0] f_vi;
wire [15:0]     f_len;
wire [7:0]      f_flags;

nic_filter #(.FILTER_LOG2(FILTER_LOG2), .NUM_VI(NUM_VI), .VI_W(VI_W), .USER_W(24)) filter_inst (
    .clk(clk), .rst(rst),
    .filt_valid(filt_valid), .filt_index(filt_index), .filt_ctrl(filt_ctrl),
    .filt_local_ip(filt_local_ip), .filt_ports(filt_ports), .filt_remote_ip(filt_remote_ip),
    .s_valid(mq_valid), .s_ready(mq_ready), .s_l4_ok(mq_l4_ok), .s_proto(mq_proto),
    .s_dst_ip(mq_dst_ip), .s_dst_port(mq_dst_port), .s_src_ip(mq_src_ip),
    .s_src_port(mq_src_port), .s_user({mq_len, mq_flags}),
    .m_valid(f_valid), .m_ready(f_ready), .m_hit(f_hit), .m_index(f_index), .m_vi(f_vi),
    .m_user({f_len, f_flags})
);

wire f_fire = f_valid && f_ready;

// ------------------------------------------------------------------ descriptors
wire [1:0]      x_req_valid;
wire [1:0]      x_req_ready;
wire [2*64-1:0] x_req_iova;
wire [2*16-1:0] x_req_owner;
wire [2*16-1:0] x_req_len;
wire [1:0]      x_resp_valid;
wire [1:0]      x_resp_ready;

wire            walk_req_valid, walk_req_ready;
wire [VI_W-1:0] walk_req_vi;
wire [15:0]     walk_req_len;
wire [7:0]      walk_req_skip;
wire            walk_desc_valid, walk_desc_ready;
wire [63:0]     walk_desc_addr;
wire [15:0]     walk_desc_len, walk_desc_idx;
wire            walk_resp_valid, walk_resp_ready;
wire [1:0]      walk_resp_status;
wire [15:0]     walk_resp_idx;
wire [7:0]      walk_resp_ndesc;
wire [15:0]     walk_resp_owner;
wire [1:0]      walk_resp_epoch;
wire            commit_valid, commit_ready;
wire [VI_W-1:0] commit_vi;
wire [7:0]      commit_n;
wire [1:0]      commit_epoch;
wire            commit_epoch_ok;
wire [15:0]     cons_rd_index;

wire            dflt_valid, dflt_ready;
wire [VI_W-1:0] dflt_vi;
wire [15:0]     dflt_index;
wire [1:0]      dflt_epoch, wflt_epoch, bflt_epoch;
wire            wflt_valid, wflt_ready;
wire [VI_W-1:0] wflt_vi;
wire [15:0]     wflt_index;
wire            bflt_valid, bflt_ready;
wire [VI_W-1:0] bflt_vi;
wire [15:0]     bflt_index;

// DMA-fence retirements of the port's two requesters (each at most 2 per cycle and epoch)
wire [15:0] desc_xlat_ret, dma_xlat_ret;
wire        c_epoch;
assign xlat_ret = {desc_xlat_ret[15:8] + dma_xlat_ret[15:8], desc_xlat_ret[7:0] + dma_xlat_ret[7:0]};

nic_rx_desc_fetch #(
    .DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(ADDR_WIDTH), .NUM_VI(NUM_VI), .VI_W(VI_W),
    .CACHE_LOG2(DESC_CACHE_LOG2), .OUTSTANDING_LOG2(DESC_FETCH_LOG2)
) desc_inst (
    .clk(clk), .rst(rst),
    .cfg_vi_valid(cfg_vi_valid), .cfg_vi(cfg_vi), .cfg_vi_enable(cfg_vi_enable),
    .cfg_vi_owner(cfg_vi_owner), .cfg_vi_rxq_base(cfg_vi_rxq_base),
    .cfg_vi_rxq_log2(cfg_vi_rxq_log2),
    .db_valid(db_valid), .db_vi(db_vi), .db_kind(db_kind), .db_value(db_value),
    .flt_set_valid(flt_valid), .flt_set_vi(flt_vi),
    .dflt_valid(dflt_valid), .dflt_ready(dflt_ready), .dflt_vi(dflt_vi), .dflt_index(dflt_index),
    .dflt_epoch(dflt_epoch),
    .xlat_req_valid(x_req_valid[0]), .xlat_req_ready(x_req_ready[0]),
    .xlat_req_iova(x_req_iova[63:0]), .xlat_req_owner(x_req_owner[15:0]),
    .xlat_req_len(x_req_len[15:0]),
    .xlat_resp_valid(x_resp_valid[0]), .xlat_resp_ready(x_resp_ready[0]),
    .xlat_resp_addr(xlat_resp_addr), .xlat_resp_fault(xlat_resp_fault),
    .xlat_resp_epoch(xlat_resp_epoch), .xlat_ret(desc_xlat_ret),
    .m_axi_arid(m_axi_rd_arid), .m_axi_araddr(m_axi_rd_araddr), .m_axi_arlen(m_axi_rd_arlen),
    .m_axi_arsize(m_axi_rd_arsize), .m_axi_arburst(m_axi_rd_arburst),
    .m_axi_arvalid(m_axi_rd_arvalid), .m_axi_arready(m_axi_rd_arready),
    .m_axi_rid(m_axi_rd_rid), .m_axi_rdata(m_axi_rd_rdata), .m_axi_rresp(m_axi_rd_rresp),
    .m_axi_rlast(m_axi_rd_rlast), .m_axi_rvalid(m_axi_rd_rvalid), .m_axi_rready(m_axi_rd_rready),
    .walk_req_valid(walk_req_valid), .walk_req_ready(walk_req_ready),
    .walk_req_vi(walk_req_vi), .walk_req_len(walk_req_len), .walk_req_skip(walk_req_skip),
    .walk_desc_valid(walk_desc_valid), .walk_desc_ready(walk_desc_ready),
    .walk_desc_addr(walk_desc_addr), .walk_desc_len(walk_desc_len),
    .walk_desc_idx(walk_desc_idx),
    .walk_resp_valid(walk_resp_valid), .walk_resp_ready(walk_resp_ready),
    .walk_resp_status(walk_resp_status), .walk_resp_idx(walk_resp_idx),
    .walk_resp_ndesc(walk_resp_ndesc), .walk_resp_owner(walk_resp_owner),
    .walk_resp_epoch(walk_resp_epoch),
    .commit_valid(commit_valid), .commit_ready(commit_ready), .commit_vi(commit_vi),
    .commit_n(commit_n), .commit_epoch(commit_epoch), .commit_epoch_ok(commit_epoch_ok),
    .cons_rd_vi(sts_vi), .cons_rd_index(cons_rd_index)
);

// ------------------------------------------------------------------ planning
wire                  v_valid, v_ready, v_deliver;
wire [7:0]            v_nchunks;
wire [VI_W-1:0]       v_vi;
wire [15:0]           v_len;
wire [7:0]            v_flags;
wire [15:0]           v_filter;
wire [15:0]           v_index;
wire [7:0]            v_ndesc;
wire [1:0]            v_epoch;
wire                  c_valid, c_ready, c_last;
wire [ADDR_WIDTH-1:0] c_addr;
wire [15:0]           c_off;
wire [12:0]           c_len;
wire                  st_no_desc, st_evq_full, st_fault_plan, st_fault_dma;

nic_rx_plan #(
    .DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(ADDR_WIDTH), .NUM_VI(NUM_VI), .VI_W(VI_W)
) plan_inst (
    .clk(clk), .rst(rst),
    .cfg_vi_valid(cfg_vi_valid), .cfg_vi(cfg_vi),
    .s_valid(f_valid), .s_ready(f_ready), .s_vi(f_vi), .s_len(f_len),
    .s_flags(f_flags | (f_hit ? RXF_FILTER_HIT[7:0] : 8'd0)), .s_filter(f_index),
    .walk_req_valid(walk_req_valid), .walk_req_ready(walk_req_ready),
    .walk_req_vi(walk_req_vi), .walk_req_len(walk_req_len), .walk_req_skip(walk_req_skip),
    .walk_desc_valid(walk_desc_valid), .walk_desc_ready(walk_desc_ready),
    .walk_desc_addr(walk_desc_addr), .walk_desc_len(walk_desc_len),
    .walk_desc_idx(walk_desc_idx),
    .walk_resp_valid(walk_resp_valid), .walk_resp_ready(walk_resp_ready),
    .walk_resp_status(walk_resp_status), .walk_resp_idx(walk_resp_idx),
    .walk_resp_ndesc(walk_resp_ndesc), .walk_resp_owner(walk_resp_owner),
    .walk_resp_epoch(walk_resp_epoch),
    .commit_valid(commit_valid), .commit_ready(commit_ready), .commit_vi(commit_vi),
    .commit_n(commit_n), .commit_epoch(commit_epoch), .commit_epoch_ok(commit_epoch_ok),
    .rsv_req_valid(rsv_req_valid), .rsv_req_ready(rsv_req_ready), .rsv_req_vi(rsv_req_vi),
    .rsv_resp_valid(rsv_resp_valid), .rsv_resp_ok(rsv_resp_ok),
    .xlat_req_valid(x_req_valid[1]), .xlat_req_ready(x_req_ready[1]),
    .xlat_req_iova(x_req_iova[127:64]), .xlat_req_owner(x_req_owner[31:16]),
    .xlat_req_len(x_req_len[31:16]),
    .xlat_resp_valid(x_resp_valid[1]), .xlat_resp_ready(x_resp_ready[1]),
    .xlat_resp_addr(xlat_resp_addr), .xlat_resp_fault(xlat_resp_fault),
    .xlat_resp_epoch(xlat_resp_epoch),
    .wflt_valid(wflt_valid), .wflt_ready(wflt_ready), .wflt_vi(wflt_vi), .wflt_index(wflt_index),
    .wflt_epoch(wflt_epoch),
    .m_chunk_valid(c_valid), .m_chunk_ready(c_ready), .m_chunk_addr(c_addr),
    .m_chunk_off(c_off), .m_chunk_len(c_len), .m_chunk_last(c_last), .m_chunk_epoch(c_epoch),
    .m_verd_valid(v_valid), .m_verd_ready(v_ready), .m_verd_deliver(v_deliver),
    .m_verd_nchunks(v_nchunks), .m_verd_vi(v_vi), .m_verd_len(v_len), .m_verd_flags(v_flags),
    .m_verd_filter(v_filter), .m_verd_index(v_index), .m_verd_ndesc(v_ndesc),
    .m_verd_epoch(v_epoch),
    .stat_drop_no_desc(st_no_desc), .stat_drop_evq_full(st_evq_full),
    .stat_drop_fault(st_fault_plan)
);

nic_rx_xlat_mux #(.ADDR_WIDTH(ADDR_WIDTH)) xlat_mux_inst (
    .clk(clk), .rst(rst),
    .s_req_valid(x_req_valid), .s_req_ready(x_req_ready), .s_req_iova(x_req_iova),
    .s_req_owner(x_req_owner), .s_req_len(x_req_len),
    .s_resp_valid(x_resp_valid), .s_resp_ready(x_resp_ready),
    .xlat_req_valid(xlat_req_valid), .xlat_req_ready(xlat_req_ready),
    .xlat_req_iova(xlat_req_iova), .xlat_req_owner(xlat_req_owner),
    .xlat_req_len(xlat_req_len),
    .xlat_resp_valid(xlat_resp_valid), .xlat_resp_ready(xlat_resp_ready)
);

// ------------------------------------------------------------------ DMA writes and events
wire        st_frame;
wire [15:0] st_bytes;

nic_rx_dma #(
    .DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(ADDR_WIDTH), .NUM_VI(NUM_VI), .VI_W(VI_W),
    .RAM_ADDR_W(RAM_ADDR_W), .OUT_LOG2(OUT_LOG2), .CPL_LOG2(CPL_LOG2)
) dma_inst (
    .clk(clk), .rst(rst),
    .s_verd_valid(v_valid), .s_verd_ready(v_ready), .s_verd_deliver(v_deliver),
    .s_verd_nchunks(v_nchunks), .s_verd_vi(v_vi), .s_verd_len(v_len), .s_verd_flags(v_flags),
    .s_verd_filter(v_filter), .s_verd_index(v_index), .s_verd_ndesc(v_ndesc),
    .s_verd_epoch(v_epoch),
    .s_chunk_valid(c_valid), .s_chunk_ready(c_ready), .s_chunk_addr(c_addr),
    .s_chunk_off(c_off), .s_chunk_len(c_len), .s_chunk_last(c_last), .s_chunk_epoch(c_epoch),
    .xlat_ret(dma_xlat_ret),
    .pkt_rd_en(pkt_rd_en), .pkt_rd_addr(pkt_rd_addr), .pkt_rd_data(pkt_rd_data),
    .pkt_rel_valid(pkt_rel_valid), .pkt_rel_beats(pkt_rel_beats),
    .m_axi_awid(m_axi_wr_awid), .m_axi_awaddr(m_axi_wr_awaddr), .m_axi_awlen(m_axi_wr_awlen),
    .m_axi_awsize(m_axi_wr_awsize), .m_axi_awburst(m_axi_wr_awburst),
    .m_axi_awvalid(m_axi_wr_awvalid), .m_axi_awready(m_axi_wr_awready),
    .m_axi_wdata(m_axi_wr_wdata), .m_axi_wstrb(m_axi_wr_wstrb), .m_axi_wlast(m_axi_wr_wlast),
    .m_axi_wvalid(m_axi_wr_wvalid), .m_axi_wready(m_axi_wr_wready),
    .m_axi_bid(m_axi_wr_bid), .m_axi_bresp(m_axi_wr_bresp), .m_axi_bvalid(m_axi_wr_bvalid),
    .m_axi_bready(m_axi_wr_bready),
    .ev_valid(ev_valid), .ev_ready(ev_ready), .ev_vi(ev_vi), .ev_type(ev_type),
    .ev_code(ev_code), .ev_index(ev_index), .ev_len(ev_len), .ev_filter(ev_filter),
    .ev_rx_flags(ev_rx_flags), .ev_ndesc(ev_ndesc), .ev_reserved(ev_reserved),
    .ev_epoch(ev_epoch),
    .bflt_valid(bflt_valid), .bflt_ready(bflt_ready), .bflt_vi(bflt_vi),
    .bflt_index(bflt_index), .bflt_epoch(bflt_epoch),
    .stat_rx_frame(st_frame), .stat_rx_bytes(st_bytes), .stat_drop_fault(st_fault_dma)
);

// ------------------------------------------------------------------ error events
// a registered output slot, loaded from the fault sources by fixed priority
reg             ee_valid_reg;
reg [VI_W-1:0]  ee_vi_reg;
reg [7:0]       ee_code_reg;
reg [15:0]      ee_index_reg;
reg [1:0]       ee_epoch_reg;
reg             st_dma_fault_reg;

wire ee_free = !ee_valid_reg || err_ev_ready;
assign dflt_ready = ee_free;
assign wflt_ready = ee_free && !dflt_valid;
assign bflt_ready = ee_free && !dflt_valid && !wflt_valid;
wire ee_load = ee_free && (dflt_valid || wflt_valid || bflt_valid);

always @(posedge clk) begin
    if (ee_load) begin
        ee_vi_reg <= dflt_valid ? dflt_vi : wflt_valid ? wflt_vi : bflt_vi;
        ee_code_reg <= dflt_valid ? ERR_RX_DESC_FAULT[7:0] : ERR_RX_WRITE_FAULT[7:0];
        ee_index_reg <= dflt_valid ? dflt_index : wflt_valid ? wflt_index : bflt_index;
        ee_epoch_reg <= dflt_valid ? dflt_epoch : wflt_valid ? wflt_epoch : bflt_epoch;
    end
    if (rst) begin
        ee_valid_reg <= 1'b0;
        st_dma_fault_reg <= 1'b0;
    end else begin
        if (ee_load) begin
            ee_valid_reg <= 1'b1;
        end else if (err_ev_ready) begin
            ee_valid_reg <= 1'b0;
        end
        // buffer-table refusals (descriptor fetch or packet write), not B errors
        st_dma_fault_reg <= ee_load && (dflt_valid || wflt_valid);
    end
end

assign err_ev_valid = ee_valid_reg;
assign err_ev_vi = ee_vi_reg;
assign err_ev_type = EV_TYPE_ERROR[3:0];
assign err_ev_code = ee_code_reg;
assign err_ev_index = ee_index_reg;
assign err_ev_epoch = ee_epoch_reg;
assign err_ev_len = 16'd0;
assign err_ev_filter = 16'hFFFF;
assign err_ev_rx_flags = 8'd0;
assign err_ev_ndesc = 8'd0;
assign err_ev_reserved = 1'b0;

// ------------------------------------------------------------------ statistics
reg [31:0] stat_inc_reg;
reg [15:0] stat_bytes_reg;
reg        stat_bad_reg, stat_fifo_reg;

always @(posedge clk) begin
    stat_bytes_reg <= st_bytes;
    if (rst) begin
        stat_inc_reg <= 32'd0;
        stat_bad_reg <= 1'b0;
        stat_fifo_reg <= 1'b0;
    end else begin
        stat_inc_reg <= 32'd0;
        stat_inc_reg[STAT_RX_FRAMES] <= st_frame;
        stat_inc_reg[STAT_RX_BYTES] <= st_frame;
        stat_inc_reg[STAT_RX_DROP_NO_DESC] <= st_no_desc;
        stat_inc_reg[STAT_RX_DROP_FIFO] <= st_fifo;
        stat_inc_reg[STAT_RX_DROP_EVQ_FULL] <= st_evq_full;
        stat_inc_reg[STAT_RX_DROP_RUNT] <= st_runt || st_bad;
        stat_inc_reg[STAT_RX_DROP_OVERSIZE] <= st_oversize;
        stat_inc_reg[STAT_RX_DROP_MAC] <= st_mac;
        stat_inc_reg[STAT_RX_DROP_FAULT] <= st_fault_plan || st_fault_dma;
        stat_inc_reg[STAT_RX_BAD_IP] <= st_bad_ip;
        stat_inc_reg[STAT_RX_BAD_IP_CSUM] <= st_bad_ip_csum;
        stat_inc_reg[STAT_RX_BAD_L4_CSUM] <= st_bad_l4;
        stat_inc_reg[STAT_RX_FILTER_HITS] <= f_fire && f_hit;
        stat_inc_reg[STAT_RX_FILTER_MISSES] <= f_fire && !f_hit;
        stat_inc_reg[STAT_DMA_FAULTS] <= st_dma_fault_reg;
        stat_bad_reg <= st_bad;
        stat_fifo_reg <= st_fifo;
    end
end

reg [15:0] sts_rx_cons_reg;
always @(posedge clk) begin
    sts_rx_cons_reg <= cons_rd_index;
end
assign sts_rx_cons = sts_rx_cons_reg;

assign stat_inc = stat_inc_reg;
assign stat_bytes = stat_bytes_reg;
assign stat_rx_drop_bad = stat_bad_reg;
assign stat_rx_drop_fifo = stat_fifo_reg;

/* verilator lint_on PINCONNECTEMPTY */

endmodule

`default_nettype wire
