// nic_rx_harness: sim-only top for unit-testing nic_rx on its own.
//
// Around nic_rx: a one-port nic_buf_table (the real translate block), a behavioural event
// reservation model (per-VI credits set from the testbench; a reservation succeeds while the
// VI's credit is non-zero and consumes one; the answer comes one cycle after the request), a
// fault loop-back (every accepted RX error event is broadcast back on flt_*, as nic_evq does),
// statistics counters, and checkers: AXI write bursts that cross 4 KiB or exceed 256 beats, and
// the longest run of cycles with s_axis_rx_tready low. The AXI masters and the event ports are
// driven by cocotb models. The clock is driven by cocotb.
`timescale 1ns / 1ps
`default_nettype none

module nic_rx_harness #(
    parameter integer DATA_WIDTH = 512,
    parameter integer NUM_VI = 16,
    parameter integer FILTER_LOG2 = 6
) (
    input  wire                     clk,
    input  wire                     rst,

    input  wire [DATA_WIDTH-1:0]    s_axis_rx_tdata,
    input  wire [DATA_WIDTH/8-1:0]  s_axis_rx_tkeep,
    input  wire                     s_axis_rx_tvalid,
    output wire                     s_axis_rx_tready,
    input  wire                     s_axis_rx_tlast,
    input  wire                     s_axis_rx_tuser,

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

    input  wire                     bt_wr_valid,
    input  wire [11:0]              bt_wr_index,
    input  wire [31:0]              bt_wr_page,
    input  wire [15:0]              bt_wr_owner,
    input  wire                     bt_wr_entry_valid,

    input  wire [15:0]              wr_latency,     // extra cycles before each B reaches nic_rx
    input  wire [15:0]              rd_latency,     // extra cycles before each R beat reaches nic_rx

    input  wire                     credit_wr_valid,
    input  wire [VI_W-1:0]          credit_wr_vi,
    input  wire [15:0]              credit_wr_value,

    output wire [3:0]               m_axi_rd_arid,
    output wire [47:0]              m_axi_rd_araddr,
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

    output wire [3:0]               m_axi_wr_awid,
    output wire [47:0]              m_axi_wr_awaddr,
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

    output wire                     err_ev_valid,
    output wire [VI_W-1:0]          err_ev_vi,
    output wire [7:0]               err_ev_code,
    output wire [15:0]              err_ev_index,

    output wire [32*32-1:0]         stats_flat,
    output wire [31:0]              bad_bursts,
    output wire [31:0]              max_tready_low,
    output wire [31:0]              cycle_count,
    output wire [31:0]              rsv_count,

    input  wire [VI_W-1:0]          cons_rd_vi,
    output wire [15:0]              cons_rd_index,
    // DMA-fence accounting of the RX path (nic_dma_fence, no fence requested): translations
    // not yet retired, and the sticky over-retirement flag
    output wire [11:0]              xlat_inflight,
    output wire                     xlat_acct_err
);

localparam integer VI_W = $clog2(NUM_VI);

wire        xlat_req_valid, xlat_req_ready, xlat_resp_valid, xlat_resp_ready, xlat_resp_fault;
wire [63:0] xlat_req_iova;
wire [15:0] xlat_req_owner, xlat_req_len;
wire [47:0] xlat_resp_addr;
wire        xlat_resp_epoch, fence_epoch;
wire [15:0] xlat_ret;

wire            rsv_req_valid;
wire [VI_W-1:0] rsv_req_vi;
reg             rsv_resp_valid_reg;
reg             rsv_resp_ok_reg;

reg             flt_valid_reg;
reg [VI_W-1:0]  flt_vi_reg;

wire [31:0] stat_inc;

// ------------------------------------------------------------------ latency model
// B and R from the cocotb memory model wait in FIFOs until wr/rd_latency cycles have passed
reg [31:0] now_reg;
localparam integer BQ = 256, RQ = 64;
reg [5+32-1:0]              bq_mem [0:BQ-1];
reg [8:0]                   bq_wr_reg, bq_rd_reg;
reg [DATA_WIDTH+7+32-1:0]   rq_mem [0:RQ-1];
reg [6:0]                   rq_wr_reg, rq_rd_reg;
wire [8:0] bq_used = bq_wr_reg - bq_rd_reg;
wire [6:0] rq_used = rq_wr_reg - rq_rd_reg;
wire bq_full = bq_used == 9'd256;
wire rq_full = rq_used == 7'd64;
assign m_axi_wr_bready = !bq_full;
assign m_axi_rd_rready = !rq_full;
wire [36:0] bq_head = bq_mem[bq_rd_reg[7:0]];
wire [DATA_WIDTH+38:0] rq_head = rq_mem[rq_rd_reg[5:0]];
wire [3:0]  d_bid = bq_head[36:33];
wire [1:0]  d_bresp = bq_head[32:31];
wire        d_bvalid = bq_wr_reg != bq_rd_reg && now_reg - {1'b0, bq_head[30:0]} >= {16'd0, wr_latency};
wire        d_bready;
wire [DATA_WIDTH-1:0] d_rdata = rq_head[DATA_WIDTH+38:39];
wire [3:0]  d_rid = rq_head[38:35];
wire [1:0]  d_rresp = rq_head[34:33];
wire        d_rlast = rq_head[32];
wire        d_rvalid = rq_wr_reg != rq_rd_reg && now_reg - rq_head[31:0] >= {16'd0, rd_latency};
wire        d_rready;
always @(posedge clk) begin
    if (m_axi_wr_bvalid && m_axi_wr_bready) begin
        bq_mem[bq_wr_reg[7:0]] <= {m_axi_wr_bid, m_axi_wr_bresp, now_reg[30:0]};
    end
    if (m_axi_rd_rvalid && m_axi_rd_rready) begin
        rq_mem[rq_wr_reg[5:0]] <= {m_axi_rd_rdata, m_axi_rd_rid, m_axi_rd_rresp, m_axi_rd_rlast,
                                   now_reg};
    end
    if (rst) begin
        now_reg <= 32'd0;
        bq_wr_reg <= 9'd0;
        bq_rd_reg <= 9'd0;
        rq_wr_reg <= 7'd0;
        rq_rd_reg <= 7'd0;
    end else begin
        now_reg <= now_reg + 32'd1;
        if (m_axi_wr_bvalid && m_axi_wr_bready) bq_wr_reg <= bq_wr_reg + 9'd1;
        if (d_bvalid && d_bready) bq_rd_reg <= bq_rd_reg + 9'd1;
        if (m_axi_rd_rvalid && m_axi_rd_rready) rq_wr_reg <= rq_wr_reg + 7'd1;
        if (d_rvalid && d_rready) rq_rd_reg <= rq_rd_reg + 7'd1;
    end
end
wire [15:0] stat_bytes;

/* verilator lint_off PINCONNECTEMPTY */
nic_rx #(.DATA_WIDTH(DATA_WIDTH), .ADDR_WIDTH(48), .NUM_VI(NUM_VI), .FILTER_LOG2(FILTER_LOG2))
rx_inst (
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
    .flt_valid(flt_valid_reg), .flt_vi(flt_vi_reg),
    .xlat_req_valid(xlat_req_valid), .xlat_req_ready(xlat_req_ready),
    .xlat_req_iova(xlat_req_iova), .xlat_req_owner(xlat_req_owner),
    .xlat_req_len(xlat_req_len),
    .xlat_resp_valid(xlat_resp_valid), .xlat_resp_ready(xlat_resp_ready),
    .xlat_resp_addr(xlat_resp_addr), .xlat_resp_fault(xlat_resp_fault),
    .xlat_resp_epoch(xlat_resp_epoch), .xlat_ret(xlat_ret),
    .m_axi_rd_arid(m_axi_rd_arid), .m_axi_rd_araddr(m_axi_rd_araddr),
    .m_axi_rd_arlen(m_axi_rd_arlen), .m_axi_rd_arsize(m_axi_rd_arsize),
    .m_axi_rd_arburst(m_axi_rd_arburst), .m_axi_rd_arvalid(m_axi_rd_arvalid),
    .m_axi_rd_arready(m_axi_rd_arready), .m_axi_rd_rid(d_rid),
    .m_axi_rd_rdata(d_rdata), .m_axi_rd_rresp(d_rresp),
    .m_axi_rd_rlast(d_rlast), .m_axi_rd_rvalid(d_rvalid),
    .m_axi_rd_rready(d_rready),
    .m_axi_wr_awid(m_axi_wr_awid), .m_axi_wr_awaddr(m_axi_wr_awaddr),
    .m_axi_wr_awlen(m_axi_wr_awlen), .m_axi_wr_awsize(m_axi_wr_awsize),
    .m_axi_wr_awburst(m_axi_wr_awburst), .m_axi_wr_awvalid(m_axi_wr_awvalid),
    .m_axi_wr_awready(m_axi_wr_awready), .m_axi_wr_wdata(m_axi_wr_wdata),
    .m_axi_wr_wstrb(m_axi_wr_wstrb), .m_axi_wr_wlast(m_axi_wr_wlast),
    .m_axi_wr_wvalid(m_axi_wr_wvalid), .m_axi_wr_wready(m_axi_wr_wready),
    .m_axi_wr_bid(d_bid), .m_axi_wr_bresp(d_bresp),
    .m_axi_wr_bvalid(d_bvalid), .m_axi_wr_bready(d_bready),
    .rsv_req_valid(rsv_req_valid), .rsv_req_ready(1'b1), .rsv_req_vi(rsv_req_vi),
    .rsv_resp_valid(rsv_resp_valid_reg), .rsv_resp_ok(rsv_resp_ok_reg),
    .ev_valid(ev_valid), .ev_ready(ev_ready), .ev_vi(ev_vi), .ev_type(ev_type),
    .ev_code(ev_code), .ev_index(ev_index), .ev_len(ev_len), .ev_filter(ev_filter),
    .ev_rx_flags(ev_rx_flags), .ev_ndesc(ev_ndesc), .ev_reserved(ev_reserved),
    .err_ev_valid(err_ev_valid), .err_ev_ready(1'b1), .err_ev_vi(err_ev_vi),
    .err_ev_type(), .err_ev_code(err_ev_code), .err_ev_index(err_ev_index),
    .err_ev_len(), .err_ev_filter(), .err_ev_rx_flags(), .err_ev_ndesc(),
    .err_ev_reserved(),
    .stat_inc(stat_inc), .stat_bytes(stat_bytes),
    .stat_rx_drop_bad(), .stat_rx_drop_fifo(),
    .sts_vi(cons_rd_vi), .sts_rx_cons(cons_rd_index)
);

nic_buf_table #(.PORTS(1), .BUFTBL_LOG2(12), .ADDR_WIDTH(48)) bt_inst (
    .clk(clk), .rst(rst),
    .bt_wr_valid(bt_wr_valid), .bt_wr_index(bt_wr_index), .bt_wr_page(bt_wr_page),
    .bt_wr_owner(bt_wr_owner), .bt_wr_entry_valid(bt_wr_entry_valid),
    .xlat_req_valid(xlat_req_valid), .xlat_req_ready(xlat_req_ready),
    .xlat_req_iova(xlat_req_iova), .xlat_req_owner(xlat_req_owner),
    .xlat_req_len(xlat_req_len),
    .xlat_resp_valid(xlat_resp_valid), .xlat_resp_ready(xlat_resp_ready),
    .xlat_resp_addr(xlat_resp_addr), .xlat_resp_fault(xlat_resp_fault),
    .epoch(fence_epoch), .xlat_resp_epoch(xlat_resp_epoch)
);

nic_dma_fence #(.PORTS(1), .RET_PORTS(1)) fence_inst (
    .clk(clk), .rst(rst),
    .fence_req(1'b0), .epoch(fence_epoch), .busy(),
    .acc(xlat_req_valid && xlat_req_ready), .ret(xlat_ret),
    .inflight(xlat_inflight), .waiting(), .queued(), .err(xlat_acct_err)
);
/* verilator lint_on PINCONNECTEMPTY */

// reservation model
reg [15:0] credit [0:NUM_VI-1];
reg [31:0] rsv_count_reg;
integer ci;
always @(posedge clk) begin
    if (rst) begin
        for (ci = 0; ci < NUM_VI; ci = ci + 1) begin
            credit[ci] <= 16'd0;
        end
        rsv_resp_valid_reg <= 1'b0;
        rsv_resp_ok_reg <= 1'b0;
        rsv_count_reg <= 32'd0;
    end else begin
        rsv_resp_valid_reg <= rsv_req_valid;
        rsv_resp_ok_reg <= rsv_req_valid && credit[rsv_req_vi] != 16'd0;
        if (rsv_req_valid) begin
            rsv_count_reg <= rsv_count_reg + 32'd1;
        end
        if (credit_wr_valid) begin
            credit[credit_wr_vi] <= credit_wr_value;
        end else if (rsv_req_valid && credit[rsv_req_vi] != 16'd0) begin
            credit[rsv_req_vi] <= credit[rsv_req_vi] - 16'd1;
        end
    end
end

// fault loop-back
always @(posedge clk) begin
    flt_vi_reg <= err_ev_vi;
    if (rst) begin
        flt_valid_reg <= 1'b0;
    end else begin
        flt_valid_reg <= err_ev_valid;
    end
end

// statistics
reg [31:0] stat_cnt [0:31];
integer si;
always @(posedge clk) begin
    for (si = 0; si < 32; si = si + 1) begin
        if (rst) begin
            stat_cnt[si] <= 32'd0;
        end else if (stat_inc[si]) begin
            stat_cnt[si] <= stat_cnt[si] + ((si == 8) ? {16'd0, stat_bytes} : 32'd1);
        end
    end
end
genvar gs;
generate
    for (gs = 0; gs < 32; gs = gs + 1) begin : g_stats
        assign stats_flat[gs*32 +: 32] = stat_cnt[gs];
    end
endgenerate

// checkers
localparam integer BS = $clog2(DATA_WIDTH / 8);
reg [31:0] bad_bursts_reg;
reg [31:0] low_run_reg;
reg [31:0] max_low_reg;
reg [31:0] cycle_reg;
wire [12:0] aw_end = {1'b0, m_axi_wr_awaddr[11:0]} + (({5'd0, m_axi_wr_awlen} + 13'd1) << BS);
always @(posedge clk) begin
    if (rst) begin
        bad_bursts_reg <= 32'd0;
        low_run_reg <= 32'd0;
        max_low_reg <= 32'd0;
        cycle_reg <= 32'd0;
    end else begin
        cycle_reg <= cycle_reg + 32'd1;
        if (m_axi_wr_awvalid && m_axi_wr_awready && aw_end > 13'd4096) begin
            bad_bursts_reg <= bad_bursts_reg + 32'd1;
        end
        if (!s_axis_rx_tready) begin
            low_run_reg <= low_run_reg + 32'd1;
            if (low_run_reg + 32'd1 > max_low_reg) begin
                max_low_reg <= low_run_reg + 32'd1;
            end
        end else begin
            low_run_reg <= 32'd0;
        end
    end
end
assign bad_bursts = bad_bursts_reg;
assign max_tready_low = max_low_reg;
assign cycle_count = cycle_reg;
assign rsv_count = rsv_count_reg;

endmodule

`default_nettype wire
