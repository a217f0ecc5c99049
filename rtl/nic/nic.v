// nic: top level of the simulated kernel-bypass NIC.
//
//   nic_regs        AXI4-Lite register block: privileged page 0, one doorbell page per VI
//   nic_stats       statistics counters
//   nic_buf_table   IOVA -> physical translation with owner check, one RAM copy per port
//   nic_dma_fence   translations in flight per fence epoch: BT_FENCE completes invalidations
//   nic_evq         event queues, reservations, fault broadcast, per-VI interrupt lines
//   nic_tx_engine   the transmit path (m_axis_tx_*)
//   nic_axi_rd_arb  / nic_axi_wr_arb: the engines' DMA masters onto m_axi_*
//
// RECEIVE PATH: not instantiated yet. Everything it needs is in place and marked "RX:" below:
// the s_axis_rx_* port (ready tied high, frames dropped), buffer-table ports 3 and 4, read
// master 2 and write master 1 on the arbiters, reservation port 1 and event ports 1 and 2 on
// nic_evq (one port keeps a source's events in order; the second is spare), statistics source 2, the status input sts_rx_cons, and the broadcasts
// (cfg_vi_*, db_*, filt_*, ctrl_rx_enable, mac_addr, flt_*).
`timescale 1ns / 1ps
`default_nettype none

module nic #(
    parameter integer NUM_VI = 16,              // virtual interfaces, VI 0 is the kernel's
    parameter integer DATA_WIDTH = 512,         // DMA and stream width, 64..512
    parameter integer ADDR_WIDTH = 48,          // host physical address width
    parameter integer BUFTBL_LOG2 = 12,         // buffer-table entries, log2
    parameter integer FILTER_LOG2 = 6,          // filter-table entries, log2
    parameter integer TX_FIFO_BYTES = 32768,    // TX store-and-forward buffer
    parameter integer AXI_ID_WIDTH = 8,
    parameter integer AXIL_ADDR_WIDTH = $clog2((NUM_VI + 1) * 4096)
) (
    input  wire                        clk,
    input  wire                        rst,

    // register space
    input  wire [AXIL_ADDR_WIDTH-1:0]  s_axil_awaddr,
    input  wire [2:0]                  s_axil_awprot,
    input  wire                        s_axil_awvalid,
    output wire                        s_axil_awready,
    input  wire [31:0]                 s_axil_wdata,
    input  wire [3:0]                  s_axil_wstrb,
    input  wire                        s_axil_wvalid,
    output wire                        s_axil_wready,
    output wire [1:0]                  s_axil_bresp,
    output wire                        s_axil_bvalid,
    input  wire                        s_axil_bready,
    input  wire [AXIL_ADDR_WIDTH-1:0]  s_axil_araddr,
    input  wire [2:0]                  s_axil_arprot,
    input  wire                        s_axil_arvalid,
    output wire                        s_axil_arready,
    output wire [31:0]                 s_axil_rdata,
    output wire [1:0]                  s_axil_rresp,
    output wire                        s_axil_rvalid,
    input  wire                        s_axil_rready,

    // DMA to host memory
    output wire [AXI_ID_WIDTH-1:0]     m_axi_awid,
    output wire [ADDR_WIDTH-1:0]       m_axi_awaddr,
    output wire [7:0]                  m_axi_awlen,
    output wire [2:0]                  m_axi_awsize,
    output wire [1:0]                  m_axi_awburst,
    output wire                        m_axi_awlock,
    output wire [3:0]                  m_axi_awcache,
    output wire [2:0]                  m_axi_awprot,
    output wire                        m_axi_awvalid,
    input  wire                        m_axi_awready,
    output wire [DATA_WIDTH-1:0]       m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0]     m_axi_wstrb,
    output wire                        m_axi_wlast,
    output wire                        m_axi_wvalid,
    input  wire                        m_axi_wready,
    input  wire [AXI_ID_WIDTH-1:0]     m_axi_bid,
    input  wire [1:0]                  m_axi_bresp,
    input  wire                        m_axi_bvalid,
    output wire                        m_axi_bready,
    output wire [AXI_ID_WIDTH-1:0]     m_axi_arid,
    output wire [ADDR_WIDTH-1:0]       m_axi_araddr,
    output wire [7:0]                  m_axi_arlen,
    output wire [2:0]                  m_axi_arsize,
    output wire [1:0]                  m_axi_arburst,
    output wire                        m_axi_arlock,
    output wire [3:0]                  m_axi_arcache,
    output wire [2:0]                  m_axi_arprot,
    output wire                        m_axi_arvalid,
    input  wire                        m_axi_arready,
    input  wire [AXI_ID_WIDTH-1:0]     m_axi_rid,
    input  wire [DATA_WIDTH-1:0]       m_axi_rdata,
    input  wire [1:0]                  m_axi_rresp,
    input  wire                        m_axi_rlast,
    input  wire                        m_axi_rvalid,
    output wire                        m_axi_rready,

    // frames to the wire
    output wire [DATA_WIDTH-1:0]       m_axis_tx_tdata,
    output wire [DATA_WIDTH/8-1:0]     m_axis_tx_tkeep,
    output wire                        m_axis_tx_tvalid,
    input  wire                        m_axis_tx_tready,
    output wire                        m_axis_tx_tlast,
    output wire                        m_axis_tx_tuser,

    // frames from the wire
    input  wire [DATA_WIDTH-1:0]       s_axis_rx_tdata,
    input  wire [DATA_WIDTH/8-1:0]     s_axis_rx_tkeep,
    input  wire                        s_axis_rx_tvalid,
    output wire                        s_axis_rx_tready,
    input  wire                        s_axis_rx_tlast,
    input  wire                        s_axis_rx_tuser,

    output wire [NUM_VI-1:0]           irq
);

/* verilator lint_off UNUSEDPARAM */  // generated header: only some constants are used here
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam integer VI_W = $clog2(NUM_VI);
localparam integer BYTES = DATA_WIDTH / 8;
localparam integer FB_LOG2 = $clog2(TX_FIFO_BYTES / BYTES);
localparam integer BT_PORTS = 5;     // 0 TX descriptors, 1 TX data, 2 events, 3-4 RX
localparam integer RD_PORTS = 3;     // 0 TX descriptors, 1 TX data, 2 RX descriptors
localparam integer WR_PORTS = 2;     // 0 events, 1 RX data
localparam integer AW = ADDR_WIDTH;

initial begin
    if (NUM_VI < 2 || NUM_VI > 255 || DATA_WIDTH < 64 || DATA_WIDTH > 512 ||
            (DATA_WIDTH & (DATA_WIDTH - 1)) != 0 || ADDR_WIDTH < 32 || ADDR_WIDTH > 64 ||
            AXI_ID_WIDTH != 8 || (1 << AXIL_ADDR_WIDTH) < (NUM_VI + 1) * 4096 ||
            TX_FIFO_BYTES < 2 * TX_MAX_FRAME || (1 << FB_LOG2) * BYTES != TX_FIFO_BYTES) begin
        $error("nic: impossible configuration (TX_FIFO_BYTES: power of two >= 2 frames)");
        $finish;
    end
end

// ------------------------------------------------------------------------------ registers

wire            cfg_vi_valid, cfg_vi_enable;
wire [VI_W-1:0] cfg_vi;
wire [15:0]     cfg_vi_owner;
wire [63:0]     cfg_vi_txq_base, cfg_vi_rxq_base, cfg_vi_evq_base;
wire [3:0]      cfg_vi_txq_log2, cfg_vi_rxq_log2, cfg_vi_evq_log2;
wire [31:0]     cfg_vi_irq_mod;
wire            db_valid;
wire [VI_W-1:0] db_vi;
wire [1:0]      db_kind;
wire [31:0]     db_value;
wire            bt_wr_valid, bt_wr_entry_valid;
wire [BUFTBL_LOG2-1:0] bt_wr_index;
wire [31:0]     bt_wr_page;
wire [15:0]     bt_wr_owner;
wire            filt_valid;
wire [FILTER_LOG2-1:0] filt_index;
wire [31:0]     filt_ctrl, filt_local_ip, filt_ports, filt_remote_ip;
wire            ctrl_tx_enable, ctrl_rx_enable;
wire [47:0]     mac_addr;
wire            flt_valid;
wire [VI_W-1:0] flt_vi;
wire [7:0]      flt_code;
wire [15:0]     flt_index;
wire [VI_W-1:0] sts_vi;
wire [15:0]     sts_tx_cons, sts_evq_prod;
wire            sts_evq_busy;
wire [15:0]     rx_sts_rx_cons;  // consumer index of the selected VI's RX ring
wire [4:0]      stat_rd_index;
wire [31:0]     stat_rd_data;
wire            fence_req, fence_busy, fence_epoch, fence_err;
wire [11:0]     fence_inflight, fence_waiting;
wire            fence_queued;



nic_regs #(
    .NUM_VI(NUM_VI), .VI_W(VI_W), .DATA_WIDTH(DATA_WIDTH), .BUFTBL_LOG2(BUFTBL_LOG2),
    .FILTER_LOG2(FILTER_LOG2), .AXIL_ADDR_WIDTH(AXIL_ADDR_WIDTH)
) regs_inst (
    .clk(clk), .rst(rst),
    .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot),
    .s_axil_awvalid(s_axil_awvalid), .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb), .s_axil_wvalid(s_axil_wvalid),
    .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp), .s_axil_bvalid(s_axil_bvalid),
    .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr),
    .s_axil_arprot(s_axil_arprot), .s_axil_arvalid(s_axil_arvalid),
    .s_axil_arready(s_axil_arready), .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp),
    .s_axil_rvalid(s_axil_rvalid), .s_axil_rready(s_axil_rready),
    .cfg_vi_valid(cfg_vi_valid), .cfg_vi(cfg_vi), .cfg_vi_enable(cfg_vi_enable),
    .cfg_vi_owner(cfg_vi_owner), .cfg_vi_txq_base(cfg_vi_txq_base),
    .cfg_vi_txq_log2(cfg_vi_txq_log2), .cfg_vi_rxq_base(cfg_vi_rxq_base),
    .cfg_vi_rxq_log2(cfg_vi_rxq_log2), .cfg_vi_evq_base(cfg_vi_evq_base),
    .cfg_vi_evq_log2(cfg_vi_evq_log2), .cfg_vi_irq_mod(cfg_vi_irq_mod),
    .db_valid(db_valid), .db_vi(db_vi), .db_kind(db_kind), .db_value(db_value),
    .bt_wr_valid(bt_wr_valid), .bt_wr_index(bt_wr_index), .bt_wr_page(bt_wr_page),
    .bt_wr_owner(bt_wr_owner), .bt_wr_entry_valid(bt_wr_entry_valid),
    .fence_req(fence_req), .fence_busy(fence_busy), .fence_epoch(fence_epoch),
    .fence_err(fence_err), .fence_inflight(fence_inflight), .fence_waiting(fence_waiting),
    .fence_queued(fence_queued),
    .filt_valid(filt_valid), .filt_index(filt_index), .filt_ctrl(filt_ctrl),
    .filt_local_ip(filt_local_ip), .filt_ports(filt_ports), .filt_remote_ip(filt_remote_ip),
    .ctrl_tx_enable(ctrl_tx_enable), .ctrl_rx_enable(ctrl_rx_enable), .mac_addr(mac_addr),
    .flt_valid(flt_valid), .flt_vi(flt_vi), .flt_code(flt_code),
    .irq(irq), .sts_vi(sts_vi), .sts_tx_cons(sts_tx_cons), .sts_rx_cons(rx_sts_rx_cons),
    .sts_evq_prod(sts_evq_prod), .sts_evq_busy(sts_evq_busy),
    .stat_rd_index(stat_rd_index), .stat_rd_data(stat_rd_data)
);

// ------------------------------------------------------------------------------ statistics

wire [31:0] tx_stat_inc, evq_stat_inc;
wire [15:0] tx_stat_bytes;
// statistics source 2: the receive path (STAT_RX_* bits, RX_BYTES amount)
wire [31:0] rx_stat_inc;
wire [15:0] rx_stat_bytes;

nic_stats #(.SRC(3)) stats_inst (
    .clk(clk), .rst(rst),
    .stat_inc({rx_stat_inc, evq_stat_inc, tx_stat_inc}),
    .stat_bytes({rx_stat_bytes, 16'd0, tx_stat_bytes}),
    .rd_index(stat_rd_index), .rd_data(stat_rd_data)
);

// ------------------------------------------------------------------------------ buffer table

wire [BT_PORTS-1:0]      xl_req_valid, xl_req_ready, xl_resp_valid, xl_resp_ready, xl_resp_fault;
wire [BT_PORTS*64-1:0]   xl_req_iova;
wire [BT_PORTS*16-1:0]   xl_req_owner, xl_req_len;
wire [BT_PORTS*AW-1:0]   xl_resp_addr;
wire [BT_PORTS-1:0]      xl_resp_epoch;
// DMA-fence retirements {epoch 1, epoch 0} of the requesters: 0 TX descriptors, 1 TX data,
// 2 events, 3 RX (descriptors and packet writes)
wire [15:0]              xd_ret, xp_ret, ev_ret, rx_ret;

// translate port 4 is spare: the receive path shares port 3 between its two users
assign xl_req_valid[4] = 1'b0;
assign xl_req_iova[4*64 +: 64] = 64'd0;
assign xl_req_owner[4*16 +: 16] = 16'd0;
assign xl_req_len[4*16 +: 16] = 16'd0;
assign xl_resp_ready[4] = 1'b1;

nic_buf_table #(.PORTS(BT_PORTS), .BUFTBL_LOG2(BUFTBL_LOG2), .ADDR_WIDTH(ADDR_WIDTH)) bt_inst (
    .clk(clk), .rst(rst),
    .bt_wr_valid(bt_wr_valid), .bt_wr_index(bt_wr_index), .bt_wr_page(bt_wr_page),
    .bt_wr_owner(bt_wr_owner), .bt_wr_entry_valid(bt_wr_entry_valid),
    .xlat_req_valid(xl_req_valid), .xlat_req_ready(xl_req_ready),
    .xlat_req_iova(xl_req_iova), .xlat_req_owner(xl_req_owner), .xlat_req_len(xl_req_len),
    .xlat_resp_valid(xl_resp_valid), .xlat_resp_ready(xl_resp_ready),
    .xlat_resp_addr(xl_resp_addr), .xlat_resp_fault(xl_resp_fault),
    .epoch(fence_epoch), .xlat_resp_epoch(xl_resp_epoch)
);

nic_dma_fence #(.PORTS(BT_PORTS), .RET_PORTS(4), .RET_W(8), .CNT_W(12)) fence_inst (
    .clk(clk), .rst(rst),
    .fence_req(fence_req), .epoch(fence_epoch), .busy(fence_busy),
    .acc(xl_req_valid & xl_req_ready), .ret({rx_ret, ev_ret, xp_ret, xd_ret}),
    .inflight(fence_inflight), .waiting(fence_waiting), .queued(fence_queued), .err(fence_err)
);

// ------------------------------------------------------------------------------ DMA arbiters

wire [RD_PORTS*4-1:0]          rd_arid;
wire [RD_PORTS*AW-1:0]         rd_araddr;
wire [RD_PORTS*8-1:0]          rd_arlen;
wire [RD_PORTS*3-1:0]          rd_arsize;
wire [RD_PORTS*2-1:0]          rd_arburst;
wire [RD_PORTS-1:0]            rd_arvalid, rd_arready, rd_rvalid, rd_rready;
wire [3:0]                     rd_rid;
wire [DATA_WIDTH-1:0]          rd_rdata;
wire [1:0]                     rd_rresp;
wire                           rd_rlast;

nic_axi_rd_arb #(
    .PORTS(RD_PORTS), .DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(ADDR_WIDTH), .S_ID_W(4),
    .M_ID_W(AXI_ID_WIDTH)
) rd_arb_inst (
    .clk(clk), .rst(rst),
    .s_axi_arid(rd_arid), .s_axi_araddr(rd_araddr), .s_axi_arlen(rd_arlen),
    .s_axi_arsize(rd_arsize), .s_axi_arburst(rd_arburst), .s_axi_arvalid(rd_arvalid),
    .s_axi_arready(rd_arready), .s_axi_rid(rd_rid), .s_axi_rdata(rd_rdata),
    .s_axi_rresp(rd_rresp), .s_axi_rlast(rd_rlast), .s_axi_rvalid(rd_rvalid),
    .s_axi_rready(rd_rready),
    .m_axi_arid(m_axi_arid), .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen),
    .m_axi_arsize(m_axi_arsize), .m_axi_arburst(m_axi_arburst), .m_axi_arlock(m_axi_arlock),
    .m_axi_arcache(m_axi_arcache), .m_axi_arprot(m_axi_arprot), .m_axi_arvalid(m_axi_arvalid),
    .m_axi_arready(m_axi_arready), .m_axi_rid(m_axi_rid), .m_axi_rdata(m_axi_rdata),
    .m_axi_rresp(m_axi_rresp), .m_axi_rlast(m_axi_rlast), .m_axi_rvalid(m_axi_rvalid),
    .m_axi_rready(m_axi_rready)
);

wire [WR_PORTS*4-1:0]          wr_awid;
wire [WR_PORTS*AW-1:0]         wr_awaddr;
wire [WR_PORTS*8-1:0]          wr_awlen;
wire [WR_PORTS*3-1:0]          wr_awsize;
wire [WR_PORTS*2-1:0]          wr_awburst;
wire [WR_PORTS-1:0]            wr_awvalid, wr_awready, wr_wlast, wr_wvalid, wr_wready;
wire [WR_PORTS*DATA_WIDTH-1:0] wr_wdata;
wire [WR_PORTS*BYTES-1:0]      wr_wstrb;
wire [WR_PORTS-1:0]            wr_bvalid, wr_bready;
wire [3:0]                     wr_bid;
wire [1:0]                     wr_bresp;

nic_axi_wr_arb #(
    .PORTS(WR_PORTS), .DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(ADDR_WIDTH), .S_ID_W(4),
    .M_ID_W(AXI_ID_WIDTH)
) wr_arb_inst (
    .clk(clk), .rst(rst),
    .s_axi_awid(wr_awid), .s_axi_awaddr(wr_awaddr), .s_axi_awlen(wr_awlen),
    .s_axi_awsize(wr_awsize), .s_axi_awburst(wr_awburst), .s_axi_awvalid(wr_awvalid),
    .s_axi_awready(wr_awready), .s_axi_wdata(wr_wdata), .s_axi_wstrb(wr_wstrb),
    .s_axi_wlast(wr_wlast), .s_axi_wvalid(wr_wvalid), .s_axi_wready(wr_wready),
    .s_axi_bid(wr_bid), .s_axi_bresp(wr_bresp), .s_axi_bvalid(wr_bvalid),
    .s_axi_bready(wr_bready),
    .m_axi_awid(m_axi_awid), .m_axi_awaddr(m_axi_awaddr), .m_axi_awlen(m_axi_awlen),
    .m_axi_awsize(m_axi_awsize), .m_axi_awburst(m_axi_awburst), .m_axi_awlock(m_axi_awlock),
    .m_axi_awcache(m_axi_awcache), .m_axi_awprot(m_axi_awprot), .m_axi_awvalid(m_axi_awvalid),
    .m_axi_awready(m_axi_awready), .m_axi_wdata(m_axi_wdata), .m_axi_wstrb(m_axi_wstrb),
    .m_axi_wlast(m_axi_wlast), .m_axi_wvalid(m_axi_wvalid), .m_axi_wready(m_axi_wready),
    .m_axi_bid(m_axi_bid), .m_axi_bresp(m_axi_bresp), .m_axi_bvalid(m_axi_bvalid),
    .m_axi_bready(m_axi_bready)
);

// ------------------------------------------------------------------------------ event queues

localparam integer EVP = 3;   // event ports: 0 TX (completions and errors, in order), 1-2 RX

wire [1:0]           rsv_req_valid, rsv_req_ready, rsv_resp_valid, rsv_resp_ok;
wire [2*VI_W-1:0]    rsv_req_vi;
wire [EVP-1:0]       ev_valid, ev_ready, ev_reserved;
wire [EVP*VI_W-1:0]  ev_vi;
wire [EVP*4-1:0]     ev_type;
wire [EVP*8-1:0]     ev_code, ev_rx_flags, ev_ndesc;
wire [EVP*16-1:0]    ev_index, ev_len, ev_filter;
localparam integer GEN_W = 4;   // VI configuration generations (TX engine and event queues)
wire [EVP*GEN_W-1:0] ev_gen;
// TX events say their generation, RX events and errors their VI epoch (nic_evq EPOCH_PORTS)
wire [EVP-1:0]       ev_gen_valid = 3'b111;
wire [1:0]           rx_ev_epoch, rx_err_epoch;
assign ev_gen[GEN_W +: GEN_W] = {{(GEN_W-2){1'b0}}, rx_ev_epoch};
assign ev_gen[2*GEN_W +: GEN_W] = {{(GEN_W-2){1'b0}}, rx_err_epoch};

// port 0: TX, driven by nic_tx_engine (completions use the reservation made at dispatch)
assign ev_filter[0 +: 16] = 16'd0;
assign ev_rx_flags[0 +: 8] = 8'd0;
wire evq_stat_events, evq_stat_lost, evq_stat_dma;
reg  [31:0] evq_stat_vec;
always @* begin
    evq_stat_vec = 32'd0;
    evq_stat_vec[STAT_EVENTS] = evq_stat_events;
    evq_stat_vec[STAT_EVENTS_LOST] = evq_stat_lost;
    evq_stat_vec[STAT_DMA_FAULTS] = evq_stat_dma;
end
assign evq_stat_inc = evq_stat_vec;

nic_evq #(
    .NUM_VI(NUM_VI), .VI_W(VI_W), .ADDR_WIDTH(ADDR_WIDTH), .DATA_WIDTH(DATA_WIDTH),
    .RSV_PORTS(2), .EV_PORTS(EVP), .GEN_W(GEN_W), .EPOCH_PORTS(3'b110)
) evq_inst (
    .clk(clk), .rst(rst),
    .cfg_vi_valid(cfg_vi_valid), .cfg_vi(cfg_vi), .cfg_vi_enable(cfg_vi_enable),
    .cfg_vi_owner(cfg_vi_owner), .cfg_vi_evq_base(cfg_vi_evq_base),
    .cfg_vi_evq_log2(cfg_vi_evq_log2), .cfg_vi_irq_mod(cfg_vi_irq_mod),
    .db_valid(db_valid), .db_vi(db_vi), .db_kind(db_kind), .db_value(db_value),
    .rsv_req_valid(rsv_req_valid), .rsv_req_ready(rsv_req_ready), .rsv_req_vi(rsv_req_vi),
    .rsv_resp_valid(rsv_resp_valid), .rsv_resp_ok(rsv_resp_ok),
    .ev_valid(ev_valid), .ev_ready(ev_ready), .ev_vi(ev_vi), .ev_type(ev_type),
    .ev_code(ev_code), .ev_index(ev_index), .ev_len(ev_len), .ev_filter(ev_filter),
    .ev_rx_flags(ev_rx_flags), .ev_ndesc(ev_ndesc), .ev_reserved(ev_reserved),
    .ev_gen_valid(ev_gen_valid), .ev_gen(ev_gen),
    .flt_valid(flt_valid), .flt_vi(flt_vi), .flt_code(flt_code), .flt_index(flt_index),
    .xlat_req_valid(xl_req_valid[2]), .xlat_req_ready(xl_req_ready[2]),
    .xlat_req_iova(xl_req_iova[2*64 +: 64]), .xlat_req_owner(xl_req_owner[2*16 +: 16]),
    .xlat_req_len(xl_req_len[2*16 +: 16]), .xlat_resp_valid(xl_resp_valid[2]),
    .xlat_resp_ready(xl_resp_ready[2]), .xlat_resp_addr(xl_resp_addr[2*AW +: AW]),
    .xlat_resp_fault(xl_resp_fault[2]), .xlat_resp_epoch(xl_resp_epoch[2]), .xlat_ret(ev_ret),
    .m_axi_awid(wr_awid[3:0]), .m_axi_awaddr(wr_awaddr[AW-1:0]), .m_axi_awlen(wr_awlen[7:0]),
    .m_axi_awsize(wr_awsize[2:0]), .m_axi_awburst(wr_awburst[1:0]),
    .m_axi_awvalid(wr_awvalid[0]), .m_axi_awready(wr_awready[0]),
    .m_axi_wdata(wr_wdata[DATA_WIDTH-1:0]), .m_axi_wstrb(wr_wstrb[BYTES-1:0]),
    .m_axi_wlast(wr_wlast[0]), .m_axi_wvalid(wr_wvalid[0]), .m_axi_wready(wr_wready[0]),
    .m_axi_bid(wr_bid), .m_axi_bresp(wr_bresp), .m_axi_bvalid(wr_bvalid[0]),
    .m_axi_bready(wr_bready[0]),
    .aw_contend(wr_awvalid[1]),     // RX packet data waiting: fill event beats meanwhile
    .irq(irq),
    .sts_vi(sts_vi), .sts_evq_prod(sts_evq_prod), .sts_evq_busy(sts_evq_busy),
    .stat_events(evq_stat_events), .stat_events_lost(evq_stat_lost),
    .stat_dma_faults(evq_stat_dma)
);

// ------------------------------------------------------------------------------ transmit

nic_tx_engine #(
    .NUM_VI(NUM_VI), .VI_W(VI_W), .DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(ADDR_WIDTH),
    .BUFTBL_LOG2(BUFTBL_LOG2), .FB_LOG2(FB_LOG2), .GEN_W(GEN_W)
) tx_inst (
    .clk(clk), .rst(rst),
    .cfg_vi_valid(cfg_vi_valid), .cfg_vi(cfg_vi), .cfg_vi_enable(cfg_vi_enable),
    .cfg_vi_owner(cfg_vi_owner), .cfg_vi_txq_base(cfg_vi_txq_base),
    .cfg_vi_txq_log2(cfg_vi_txq_log2),
    .db_valid(db_valid), .db_vi(db_vi), .db_kind(db_kind), .db_value(db_value),
    .ctrl_tx_enable(ctrl_tx_enable), .flt_valid(flt_valid), .flt_vi(flt_vi),
    .rsv_req_valid(rsv_req_valid[0]), .rsv_req_ready(rsv_req_ready[0]),
    .rsv_req_vi(rsv_req_vi[VI_W-1:0]), .rsv_resp_valid(rsv_resp_valid[0]),
    .rsv_resp_ok(rsv_resp_ok[0]),
    .ev_valid(ev_valid[0]), .ev_ready(ev_ready[0]), .ev_vi(ev_vi[0 +: VI_W]),
    .ev_index(ev_index[0 +: 16]), .ev_len(ev_len[0 +: 16]), .ev_ndesc(ev_ndesc[0 +: 8]),
    .ev_type(ev_type[0 +: 4]), .ev_code(ev_code[0 +: 8]), .ev_reserved(ev_reserved[0]),
    .ev_gen(ev_gen[0 +: GEN_W]),
    .xd_req_valid(xl_req_valid[0]), .xd_req_ready(xl_req_ready[0]),
    .xd_req_iova(xl_req_iova[0 +: 64]), .xd_req_owner(xl_req_owner[0 +: 16]),
    .xd_req_len(xl_req_len[0 +: 16]), .xd_resp_valid(xl_resp_valid[0]),
    .xd_resp_ready(xl_resp_ready[0]), .xd_resp_addr(xl_resp_addr[0 +: AW]),
    .xd_resp_fault(xl_resp_fault[0]), .xd_resp_epoch(xl_resp_epoch[0]), .xd_ret(xd_ret),
    .xp_req_valid(xl_req_valid[1]), .xp_req_ready(xl_req_ready[1]),
    .xp_req_iova(xl_req_iova[64 +: 64]), .xp_req_owner(xl_req_owner[16 +: 16]),
    .xp_req_len(xl_req_len[16 +: 16]), .xp_resp_valid(xl_resp_valid[1]),
    .xp_resp_ready(xl_resp_ready[1]), .xp_resp_addr(xl_resp_addr[AW +: AW]),
    .xp_resp_fault(xl_resp_fault[1]), .xp_resp_epoch(xl_resp_epoch[1]), .xp_ret(xp_ret),
    .d_axi_arid(rd_arid[3:0]), .d_axi_araddr(rd_araddr[AW-1:0]), .d_axi_arlen(rd_arlen[7:0]),
    .d_axi_arsize(rd_arsize[2:0]), .d_axi_arburst(rd_arburst[1:0]),
    .d_axi_arvalid(rd_arvalid[0]), .d_axi_arready(rd_arready[0]), .d_axi_rdata(rd_rdata),
    .d_axi_rvalid(rd_rvalid[0]), .d_axi_rready(rd_rready[0]),
    .p_axi_arid(rd_arid[7:4]), .p_axi_araddr(rd_araddr[2*AW-1:AW]),
    .p_axi_arlen(rd_arlen[15:8]), .p_axi_arsize(rd_arsize[5:3]),
    .p_axi_arburst(rd_arburst[3:2]), .p_axi_arvalid(rd_arvalid[1]),
    .p_axi_arready(rd_arready[1]), .p_axi_rdata(rd_rdata), .p_axi_rvalid(rd_rvalid[1]),
    .p_axi_rready(rd_rready[1]),
    .m_axis_tx_tdata(m_axis_tx_tdata), .m_axis_tx_tkeep(m_axis_tx_tkeep),
    .m_axis_tx_tvalid(m_axis_tx_tvalid), .m_axis_tx_tready(m_axis_tx_tready),
    .m_axis_tx_tlast(m_axis_tx_tlast), .m_axis_tx_tuser(m_axis_tx_tuser),
    .sts_vi(sts_vi), .sts_tx_cons(sts_tx_cons),
    .stat_inc(tx_stat_inc), .stat_bytes(tx_stat_bytes)
);

// ------------------------------------------------------------------------------ receive
// translate port 3, read master 2, write master 1, reservation port 1, event ports 1 (RX
// events, reserved) and 2 (RX errors, not reserved), statistics source 2

// tuser-bad frames are folded into RX_DROP_RUNT by nic_rx; FIFO drops count in RX_DROP_FIFO
wire rx_drop_bad, rx_drop_fifo;

nic_rx #(
    .DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(ADDR_WIDTH), .NUM_VI(NUM_VI), .VI_W(VI_W),
    .FILTER_LOG2(FILTER_LOG2)
) rx_inst (
    .clk(clk), .rst(rst),
    .s_axis_rx_tdata(s_axis_rx_tdata), .s_axis_rx_tkeep(s_axis_rx_tkeep),
    .s_axis_rx_tvalid(s_axis_rx_tvalid), .s_axis_rx_tready(s_axis_rx_tready),
    .s_axis_rx_tlast(s_axis_rx_tlast), .s_axis_rx_tuser(s_axis_rx_tuser),
    .cfg_vi_valid(cfg_vi_valid), .cfg_vi(cfg_vi), .cfg_vi_enable(cfg_vi_enable),
    .cfg_vi_owner(cfg_vi_owner), .cfg_vi_rxq_base(cfg_vi_rxq_base),
    .cfg_vi_rxq_log2(cfg_vi_rxq_log2),
    .db_valid(db_valid), .db_vi(db_vi), .db_kind(db_kind), .db_value(db_value),
    .filt_valid(filt_valid), .filt_index(filt_index), .filt_ctrl(filt_ctrl),
    .filt_local_ip(filt_local_ip), .filt_ports(filt_ports), .filt_remote_ip(filt_remote_ip),
    .ctrl_rx_enable(ctrl_rx_enable), .mac_addr(mac_addr),
    .flt_valid(flt_valid), .flt_vi(flt_vi),
    .xlat_req_valid(xl_req_valid[3]), .xlat_req_ready(xl_req_ready[3]),
    .xlat_req_iova(xl_req_iova[3*64 +: 64]), .xlat_req_owner(xl_req_owner[3*16 +: 16]),
    .xlat_req_len(xl_req_len[3*16 +: 16]), .xlat_resp_valid(xl_resp_valid[3]),
    .xlat_resp_ready(xl_resp_ready[3]), .xlat_resp_addr(xl_resp_addr[3*AW +: AW]),
    .xlat_resp_fault(xl_resp_fault[3]), .xlat_resp_epoch(xl_resp_epoch[3]), .xlat_ret(rx_ret),
    .m_axi_rd_arid(rd_arid[11:8]), .m_axi_rd_araddr(rd_araddr[2*AW +: AW]),
    .m_axi_rd_arlen(rd_arlen[23:16]), .m_axi_rd_arsize(rd_arsize[8:6]),
    .m_axi_rd_arburst(rd_arburst[5:4]), .m_axi_rd_arvalid(rd_arvalid[2]),
    .m_axi_rd_arready(rd_arready[2]), .m_axi_rd_rid(rd_rid), .m_axi_rd_rdata(rd_rdata),
    .m_axi_rd_rresp(rd_rresp), .m_axi_rd_rlast(rd_rlast), .m_axi_rd_rvalid(rd_rvalid[2]),
    .m_axi_rd_rready(rd_rready[2]),
    .m_axi_wr_awid(wr_awid[7:4]), .m_axi_wr_awaddr(wr_awaddr[AW +: AW]),
    .m_axi_wr_awlen(wr_awlen[15:8]), .m_axi_wr_awsize(wr_awsize[5:3]),
    .m_axi_wr_awburst(wr_awburst[3:2]), .m_axi_wr_awvalid(wr_awvalid[1]),
    .m_axi_wr_awready(wr_awready[1]), .m_axi_wr_wdata(wr_wdata[DATA_WIDTH +: DATA_WIDTH]),
    .m_axi_wr_wstrb(wr_wstrb[BYTES +: BYTES]), .m_axi_wr_wlast(wr_wlast[1]),
    .m_axi_wr_wvalid(wr_wvalid[1]), .m_axi_wr_wready(wr_wready[1]),
    .m_axi_wr_bid(wr_bid), .m_axi_wr_bresp(wr_bresp), .m_axi_wr_bvalid(wr_bvalid[1]),
    .m_axi_wr_bready(wr_bready[1]),
    .rsv_req_valid(rsv_req_valid[1]), .rsv_req_ready(rsv_req_ready[1]),
    .rsv_req_vi(rsv_req_vi[VI_W +: VI_W]), .rsv_resp_valid(rsv_resp_valid[1]),
    .rsv_resp_ok(rsv_resp_ok[1]),
    .ev_valid(ev_valid[1]), .ev_ready(ev_ready[1]), .ev_vi(ev_vi[VI_W +: VI_W]),
    .ev_type(ev_type[4 +: 4]), .ev_code(ev_code[8 +: 8]), .ev_index(ev_index[16 +: 16]),
    .ev_len(ev_len[16 +: 16]), .ev_filter(ev_filter[16 +: 16]),
    .ev_rx_flags(ev_rx_flags[8 +: 8]), .ev_ndesc(ev_ndesc[8 +: 8]),
    .ev_reserved(ev_reserved[1]), .ev_epoch(rx_ev_epoch),
    .err_ev_valid(ev_valid[2]), .err_ev_ready(ev_ready[2]), .err_ev_vi(ev_vi[2*VI_W +: VI_W]),
    .err_ev_type(ev_type[8 +: 4]), .err_ev_code(ev_code[16 +: 8]),
    .err_ev_index(ev_index[32 +: 16]), .err_ev_len(ev_len[32 +: 16]),
    .err_ev_filter(ev_filter[32 +: 16]), .err_ev_rx_flags(ev_rx_flags[16 +: 8]),
    .err_ev_ndesc(ev_ndesc[16 +: 8]), .err_ev_reserved(ev_reserved[2]),
    .err_ev_epoch(rx_err_epoch),
    .stat_inc(rx_stat_inc), .stat_bytes(rx_stat_bytes),
    .stat_rx_drop_bad(rx_drop_bad), .stat_rx_drop_fifo(rx_drop_fifo),
    .sts_vi(sts_vi), .sts_rx_cons(rx_sts_rx_cons)
);

wire unused_rx = &{1'b0, flt_index, rx_drop_bad, rx_drop_fifo, xl_req_ready[4], xl_resp_valid[4], xl_resp_addr[4*AW +: AW],
                   xl_resp_fault[4], xl_resp_epoch[4]};

endmodule

`default_nettype wire
