// nic_regs: the NIC's AXI4-Lite register block.
//
// Page 0 holds the privileged registers (layout.py PRIV_REGS) and the statistics counters
// (STATS_BASE); page 1+v holds VI v's doorbells (VI_REGS). Unmapped reads return 0, writes to
// read-only or unmapped registers are ignored, every response is OKAY. Writes take effect as
// whole 32-bit words (wstrb is ignored). One transaction per channel at a time.
//
// The block turns register writes into one-cycle broadcasts (see docs/rtl-internals.md):
//   bt_wr_*    buffer-table entry store (BT_COMMIT)
//   cfg_vi_*   VI configuration commit (VI_COMMIT); the committed configuration is also kept here
//              per VI so that writing VI_SELECT loads the VI's current configuration into the
//              staging window (select first, then stage, then commit)
//   db_*       doorbells (kind 0 TX producer, 1 RX producer, 2 EVQ read)
//   filt_*     filter-table entry store (FILT_COMMIT)
//   fence_req  start a DMA fence (BT_FENCE); BT_FENCE_STATUS reads nic_dma_fence's state
// It keeps each VI's status (enabled, faulted, fault code) from the commits and the fault
// broadcast flt_*, and reads live state of the selected VI (sts_vi = VI_SELECT) from the
// engines: they return sts_* registered from their own RAMs.
`timescale 1ns / 1ps
`default_nettype none

module nic_regs #(
    parameter integer NUM_VI = 16,
    parameter integer VI_W = $clog2(NUM_VI),
    parameter integer DATA_WIDTH = 512,
    parameter integer BUFTBL_LOG2 = 12,
    parameter integer FILTER_LOG2 = 6,
    parameter integer AXIL_ADDR_WIDTH = $clog2((NUM_VI + 1) * 4096)
) (
    input  wire                        clk,
    input  wire                        rst,

    // AXI4-Lite slave
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

    // VI configuration commit
    output reg                         cfg_vi_valid,
    output reg  [VI_W-1:0]             cfg_vi,
    output reg                         cfg_vi_enable,
    output reg  [15:0]                 cfg_vi_owner,
    output reg  [63:0]                 cfg_vi_txq_base,
    output reg  [3:0]                  cfg_vi_txq_log2,
    output reg  [63:0]                 cfg_vi_rxq_base,
    output reg  [3:0]                  cfg_vi_rxq_log2,
    output reg  [63:0]                 cfg_vi_evq_base,
    output reg  [3:0]                  cfg_vi_evq_log2,
    output reg  [31:0]                 cfg_vi_irq_mod,

    // doorbells
    output reg                         db_valid,
    output reg  [VI_W-1:0]             db_vi,
    output reg  [1:0]                  db_kind,
    output reg  [31:0]                 db_value,

    // buffer-table write
    output reg                         bt_wr_valid,
    output reg  [BUFTBL_LOG2-1:0]      bt_wr_index,
    output reg  [31:0]                 bt_wr_page,
    output reg  [15:0]                 bt_wr_owner,
    output reg                         bt_wr_entry_valid,

    // DMA fence (nic_dma_fence): BT_FENCE starts one, BT_FENCE_STATUS shows it
    output reg                         fence_req,
    input  wire                        fence_busy,
    input  wire                        fence_epoch,
    input  wire                        fence_err,
    input  wire [11:0]                 fence_inflight,
    input  wire [11:0]                 fence_waiting,
    input  wire                        fence_queued,

    // filter-table write
    output reg                         filt_valid,
    output reg  [FILTER_LOG2-1:0]      filt_index,
    output reg  [31:0]                 filt_ctrl,
    output reg  [31:0]                 filt_local_ip,
    output reg  [31:0]                 filt_ports,
    output reg  [31:0]                 filt_remote_ip,

    // global control
    output wire                        ctrl_tx_enable,
    output wire                        ctrl_rx_enable,
    output wire [47:0]                 mac_addr,

    // fault broadcast (one pulse per fault)
    input  wire                        flt_valid,
    input  wire [VI_W-1:0]             flt_vi,
    input  wire [7:0]                  flt_code,

    // live state for the status registers
    input  wire [NUM_VI-1:0]           irq,
    output wire [VI_W-1:0]             sts_vi,
    input  wire [15:0]                 sts_tx_cons,
    input  wire [15:0]                 sts_rx_cons,
    input  wire [15:0]                 sts_evq_prod,
    input  wire                        sts_evq_busy,

    // statistics read port (nic_stats), data one cycle after the index
    output wire [4:0]                  stat_rd_index,
    input  wire [31:0]                 stat_rd_data
);

/* verilator lint_off UNUSEDPARAM */  // generated header: only some constants are used here
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam integer AW = AXIL_ADDR_WIDTH;
localparam integer CFG_W = 16 + 64 + 4 + 64 + 4 + 64 + 4 + 32;  // one VI's configuration

initial begin
    if (NUM_VI < 2 || NUM_VI > 255 || (1 << VI_W) < NUM_VI || AW < 13 ||
            (1 << AW) < (NUM_VI + 1) * 4096 || DATA_WIDTH < 64 || DATA_WIDTH > 512 ||
            BUFTBL_LOG2 < 1 || BUFTBL_LOG2 > 20 || FILTER_LOG2 < 1 || FILTER_LOG2 > 16) begin
        $error("nic_regs: impossible configuration");
        $finish;
    end
end

// ------------------------------------------------------------------------------ state

reg [1:0]  control_reg, control_next;
reg [31:0] mac_lo_reg, mac_lo_next;
reg [15:0] mac_hi_reg, mac_hi_next;

reg [31:0] bt_index_reg, bt_index_next;
reg [31:0] bt_page_reg, bt_page_next;
reg [31:0] bt_owner_reg, bt_owner_next;

reg [31:0] vi_sel_reg, vi_sel_next;
reg [15:0] w_owner_reg, w_owner_next;
reg [63:0] w_txq_base_reg, w_txq_base_next;
reg [3:0]  w_txq_log2_reg, w_txq_log2_next;
reg [63:0] w_rxq_base_reg, w_rxq_base_next;
reg [3:0]  w_rxq_log2_reg, w_rxq_log2_next;
reg [63:0] w_evq_base_reg, w_evq_base_next;
reg [3:0]  w_evq_log2_reg, w_evq_log2_next;
reg [31:0] w_irq_mod_reg, w_irq_mod_next;

reg [31:0] f_index_reg, f_index_next;
reg [31:0] f_ctrl_reg, f_ctrl_next;
reg [31:0] f_lip_reg, f_lip_next;
reg [31:0] f_ports_reg, f_ports_next;
reg [31:0] f_rip_reg, f_rip_next;

// per-VI committed configuration and status (RAMs indexed by VI)
reg [CFG_W-1:0] vi_cfg_mem [0:NUM_VI-1];
reg [9:0]       vi_sts_mem [0:NUM_VI-1];   // {enabled, faulted, code}

// AXI-Lite channel state
reg        bvalid_reg, bvalid_next;
reg        rd_busy_reg, rd_busy_next;
reg [1:0]  rd_wait_reg, rd_wait_next;
reg [AW-1:0] rd_addr_reg, rd_addr_next;
reg        rvalid_reg, rvalid_next;
reg [31:0] rdata_reg, rdata_next;

// broadcast outputs (next values)
reg                   cfg_vi_valid_next;
reg                   cfg_vi_enable_next;
reg                   db_valid_next;
reg  [VI_W-1:0]       db_vi_next;
reg  [1:0]            db_kind_next;
reg                   bt_wr_valid_next;
reg                   fence_req_next;
reg                   filt_valid_next;

assign ctrl_tx_enable = control_reg[0];
assign ctrl_rx_enable = control_reg[1];
assign mac_addr = {mac_hi_reg, mac_lo_reg};
assign sts_vi = vi_sel_reg[VI_W-1:0];

wire sel_ok = vi_sel_reg < NUM_VI;

// ------------------------------------------------------------------------------ write decode

wire wr_fire = s_axil_awvalid && s_axil_wvalid && !bvalid_reg;
assign s_axil_awready = wr_fire;
assign s_axil_wready = wr_fire;
assign s_axil_bvalid = bvalid_reg;
assign s_axil_bresp = 2'b00;

wire [AW-13:0] wr_page = s_axil_awaddr[AW-1:12];
wire [11:0]    wr_off = {s_axil_awaddr[11:2], 2'b00};
wire [31:0]    wd = s_axil_wdata;
wire           wr_priv = wr_fire && (wr_page == 0);
// doorbell page: VI = page - 1
wire [AW-12:0] wr_vi_wide = {1'b0, wr_page} - 1'b1;
wire           wr_db = wr_fire && (wr_page != 0) && ({{(43-AW){1'b0}}, wr_vi_wide} < NUM_VI);

// window load on VI_SELECT write: the selected VI's committed configuration
wire [VI_W-1:0]  load_vi = wd[VI_W-1:0];
wire [CFG_W-1:0] load_cfg = vi_cfg_mem[load_vi];
wire             load_ok = wd < NUM_VI;

always @* begin
    control_next = control_reg;
    mac_lo_next = mac_lo_reg;
    mac_hi_next = mac_hi_reg;
    bt_index_next = bt_index_reg;
    bt_page_next = bt_page_reg;
    bt_owner_next = bt_owner_reg;
    vi_sel_next = vi_sel_reg;
    w_owner_next = w_owner_reg;
    w_txq_base_next = w_txq_base_reg;
    w_txq_log2_next = w_txq_log2_reg;
    w_rxq_base_next = w_rxq_base_reg;
    w_rxq_log2_next = w_rxq_log2_reg;
    w_evq_base_next = w_evq_base_reg;
    w_evq_log2_next = w_evq_log2_reg;
    w_irq_mod_next = w_irq_mod_reg;
    f_index_next = f_index_reg;
    f_ctrl_next = f_ctrl_reg;
    f_lip_next = f_lip_reg;
    f_ports_next = f_ports_reg;
    f_rip_next = f_rip_reg;

    cfg_vi_valid_next = 1'b0;
    cfg_vi_enable_next = cfg_vi_enable;
    db_valid_next = 1'b0;
    db_vi_next = db_vi;
    db_kind_next = db_kind;
    bt_wr_valid_next = 1'b0;
    fence_req_next = 1'b0;
    filt_valid_next = 1'b0;

    bvalid_next = bvalid_reg && !s_axil_bready;
    if (wr_fire) begin
        bvalid_next = 1'b1;
    end

    if (wr_priv) begin
        case (wr_off)
            REG_CONTROL[11:0]: control_next = wd[1:0];
            REG_MAC_LO[11:0]: mac_lo_next = wd;
            REG_MAC_HI[11:0]: mac_hi_next = wd[15:0];
            REG_BT_INDEX[11:0]: bt_index_next = wd;
            REG_BT_PAGE[11:0]: bt_page_next = wd;
            REG_BT_OWNER[11:0]: bt_owner_next = wd;
            REG_BT_COMMIT[11:0]: bt_wr_valid_next = bt_index_reg < (32'd1 << BUFTBL_LOG2);
            REG_BT_FENCE[11:0]: fence_req_next = 1'b1;
            REG_VI_SELECT[11:0]: begin
                vi_sel_next = wd;
                if (load_ok) begin
                    {w_owner_next, w_txq_base_next, w_txq_log2_next, w_rxq_base_next,
                     w_rxq_log2_next, w_evq_base_next, w_evq_log2_next, w_irq_mod_next} = load_cfg;
                end
            end
            REG_VI_OWNER[11:0]: w_owner_next = wd[15:0];
            REG_VI_TXQ_BASE_LO[11:0]: w_txq_base_next[31:0] = wd;
            REG_VI_TXQ_BASE_HI[11:0]: w_txq_base_next[63:32] = wd;
            REG_VI_TXQ_LOG2[11:0]: w_txq_log2_next = wd[3:0];
            REG_VI_RXQ_BASE_LO[11:0]: w_rxq_base_next[31:0] = wd;
            REG_VI_RXQ_BASE_HI[11:0]: w_rxq_base_next[63:32] = wd;
            REG_VI_RXQ_LOG2[11:0]: w_rxq_log2_next = wd[3:0];
            REG_VI_EVQ_BASE_LO[11:0]: w_evq_base_next[31:0] = wd;
            REG_VI_EVQ_BASE_HI[11:0]: w_evq_base_next[63:32] = wd;
            REG_VI_EVQ_LOG2[11:0]: w_evq_log2_next = wd[3:0];
            REG_VI_IRQ_MOD[11:0]: w_irq_mod_next = wd;
            REG_VI_COMMIT[11:0]: begin
                cfg_vi_valid_next = sel_ok;
                cfg_vi_enable_next = wd[0];
            end
            REG_FILT_INDEX[11:0]: f_index_next = wd;
            REG_FILT_CTRL[11:0]: f_ctrl_next = wd;
            REG_FILT_LOCAL_IP[11:0]: f_lip_next = wd;
            REG_FILT_PORTS[11:0]: f_ports_next = wd;
            REG_FILT_REMOTE_IP[11:0]: f_rip_next = wd;
            REG_FILT_COMMIT[11:0]: filt_valid_next = f_index_reg < (32'd1 << FILTER_LOG2);
            default: ;
        endcase
    end

    if (wr_db) begin
        db_vi_next = wr_vi_wide[VI_W-1:0];
        case (wr_off)
            VIREG_TX_DOORBELL[11:0]: begin db_valid_next = 1'b1; db_kind_next = DB_KIND_TX[1:0]; end
            VIREG_RX_DOORBELL[11:0]: begin db_valid_next = 1'b1; db_kind_next = DB_KIND_RX[1:0]; end
            VIREG_EVQ_READ[11:0]: begin db_valid_next = 1'b1; db_kind_next = DB_KIND_EVQ_READ[1:0]; end
            default: ;
        endcase
    end
end

always @(posedge clk) begin
    control_reg <= control_next;
    mac_lo_reg <= mac_lo_next;
    mac_hi_reg <= mac_hi_next;
    bt_index_reg <= bt_index_next;
    bt_page_reg <= bt_page_next;
    bt_owner_reg <= bt_owner_next;
    vi_sel_reg <= vi_sel_next;
    w_owner_reg <= w_owner_next;
    w_txq_base_reg <= w_txq_base_next;
    w_txq_log2_reg <= w_txq_log2_next;
    w_rxq_base_reg <= w_rxq_base_next;
    w_rxq_log2_reg <= w_rxq_log2_next;
    w_evq_base_reg <= w_evq_base_next;
    w_evq_log2_reg <= w_evq_log2_next;
    w_irq_mod_reg <= w_irq_mod_next;
    f_index_reg <= f_index_next;
    f_ctrl_reg <= f_ctrl_next;
    f_lip_reg <= f_lip_next;
    f_ports_reg <= f_ports_next;
    f_rip_reg <= f_rip_next;

    // broadcast payloads (datapath, not reset)
    cfg_vi <= vi_sel_reg[VI_W-1:0];
    cfg_vi_enable <= cfg_vi_enable_next;
    cfg_vi_owner <= w_owner_reg;
    cfg_vi_txq_base <= w_txq_base_reg;
    cfg_vi_txq_log2 <= w_txq_log2_reg;
    cfg_vi_rxq_base <= w_rxq_base_reg;
    cfg_vi_rxq_log2 <= w_rxq_log2_reg;
    cfg_vi_evq_base <= w_evq_base_reg;
    cfg_vi_evq_log2 <= w_evq_log2_reg;
    cfg_vi_irq_mod <= w_irq_mod_reg;
    db_vi <= db_vi_next;
    db_kind <= db_kind_next;
    db_value <= wd;
    bt_wr_index <= bt_index_reg[BUFTBL_LOG2-1:0];
    bt_wr_page <= bt_page_reg;
    bt_wr_owner <= bt_owner_reg[15:0];
    bt_wr_entry_valid <= bt_owner_reg[31];
    filt_index <= f_index_reg[FILTER_LOG2-1:0];
    filt_ctrl <= f_ctrl_reg;
    filt_local_ip <= f_lip_reg;
    filt_ports <= f_ports_reg;
    filt_remote_ip <= f_rip_reg;

    // per-VI configuration store on an enabling commit
    if (cfg_vi_valid_next && cfg_vi_enable_next) begin
        vi_cfg_mem[vi_sel_reg[VI_W-1:0]] <= {w_owner_reg, w_txq_base_reg, w_txq_log2_reg,
            w_rxq_base_reg, w_rxq_log2_reg, w_evq_base_reg, w_evq_log2_reg, w_irq_mod_reg};
    end
    // per-VI status: a commit sets enabled and clears the fault; a fault broadcast records it
    // unless the VI is faulted already (its first fault is the one reported). A fault of one
    // VI in the cycle of another's commit is kept (it was lost once, found by the DMA
    // isolation fuzz); for the same VI the commit wins, as the fault is of the old work.
    if (flt_valid && !vi_sts_mem[flt_vi][8]) begin
        vi_sts_mem[flt_vi] <= {vi_sts_mem[flt_vi][9], 1'b1, flt_code};
    end
    if (cfg_vi_valid_next) begin
        vi_sts_mem[vi_sel_reg[VI_W-1:0]] <= {cfg_vi_enable_next, 1'b0, 8'd0};
    end

    if (rst) begin
        control_reg <= 2'b00;
        mac_lo_reg <= 32'd0;
        mac_hi_reg <= 16'd0;
        vi_sel_reg <= 32'd0;
        cfg_vi_valid <= 1'b0;
        db_valid <= 1'b0;
        bt_wr_valid <= 1'b0;
        fence_req <= 1'b0;
        filt_valid <= 1'b0;
    end else begin
        cfg_vi_valid <= cfg_vi_valid_next;
        db_valid <= db_valid_next;
        bt_wr_valid <= bt_wr_valid_next;
        fence_req <= fence_req_next;
        filt_valid <= filt_valid_next;
    end
end

// per-VI RAMs start out all-disabled (simulation and FPGA init; the reset does not walk them)
integer k;
initial begin
    for (k = 0; k < NUM_VI; k = k + 1) begin
        vi_sts_mem[k] = 10'd0;
        vi_cfg_mem[k] = {CFG_W{1'b0}};
    end
end

// ------------------------------------------------------------------------------ read path
// AR accepted -> address registered -> (stats / status sources answer) -> R

assign s_axil_arready = !rd_busy_reg && !rvalid_reg;
assign s_axil_rvalid = rvalid_reg;
assign s_axil_rdata = rdata_reg;
assign s_axil_rresp = 2'b00;

wire [AW-13:0] rd_page = rd_addr_reg[AW-1:12];
wire [11:0]    rd_off = {rd_addr_reg[11:2], 2'b00};
wire [9:0]     rd_sts = vi_sts_mem[vi_sel_reg[VI_W-1:0]];

assign stat_rd_index = rd_off[6:2];

reg [31:0] rd_value;
always @* begin
    rd_value = 32'd0;
    if (rd_page == 0) begin
        if (rd_off >= STATS_BASE[11:0] && rd_off < STATS_BASE[11:0] + 4 * STAT_COUNT[11:0]) begin
            rd_value = stat_rd_data;
        end else begin
            case (rd_off)
                REG_ID[11:0]: rd_value = NIC_ID;
                REG_VERSION[11:0]: rd_value = NIC_VERSION;
                REG_CONFIG0[11:0]: rd_value = {DATA_WIDTH[10:3], FILTER_LOG2[7:0], BUFTBL_LOG2[7:0],
                                               NUM_VI[7:0]};
                REG_CONFIG1[11:0]: rd_value = {8'd0, MAX_RING_LOG2[7:0], TX_MAX_FRAME[15:0]};
                REG_CONTROL[11:0]: rd_value = {30'd0, control_reg};
                REG_MAC_LO[11:0]: rd_value = mac_lo_reg;
                REG_MAC_HI[11:0]: rd_value = {16'd0, mac_hi_reg};
                REG_IRQ_STATUS[11:0]: rd_value = irq_status;
                REG_BT_INDEX[11:0]: rd_value = bt_index_reg;
                REG_BT_PAGE[11:0]: rd_value = bt_page_reg;
                REG_BT_OWNER[11:0]: rd_value = bt_owner_reg;
                REG_BT_FENCE_STATUS[11:0]: rd_value = {4'd0, fence_inflight, fence_waiting,
                                                       fence_queued, fence_err, fence_epoch,
                                                       fence_busy};
                REG_VI_SELECT[11:0]: rd_value = vi_sel_reg;
                REG_VI_OWNER[11:0]: rd_value = {16'd0, w_owner_reg};
                REG_VI_TXQ_BASE_LO[11:0]: rd_value = w_txq_base_reg[31:0];
                REG_VI_TXQ_BASE_HI[11:0]: rd_value = w_txq_base_reg[63:32];
                REG_VI_TXQ_LOG2[11:0]: rd_value = {28'd0, w_txq_log2_reg};
                REG_VI_RXQ_BASE_LO[11:0]: rd_value = w_rxq_base_reg[31:0];
                REG_VI_RXQ_BASE_HI[11:0]: rd_value = w_rxq_base_reg[63:32];
                REG_VI_RXQ_LOG2[11:0]: rd_value = {28'd0, w_rxq_log2_reg};
                REG_VI_EVQ_BASE_LO[11:0]: rd_value = w_evq_base_reg[31:0];
                REG_VI_EVQ_BASE_HI[11:0]: rd_value = w_evq_base_reg[63:32];
                REG_VI_EVQ_LOG2[11:0]: rd_value = {28'd0, w_evq_log2_reg};
                REG_VI_IRQ_MOD[11:0]: rd_value = w_irq_mod_reg;
                REG_VI_STATUS[11:0]: rd_value = sel_ok ?
                    {sts_tx_cons, rd_sts[7:0], 5'd0, sts_evq_busy, rd_sts[8], rd_sts[9]} :
                    32'd0;
                REG_VI_EVQ_PROD[11:0]: rd_value = sel_ok ? {sts_rx_cons, sts_evq_prod} : 32'd0;
                REG_FILT_INDEX[11:0]: rd_value = f_index_reg;
                REG_FILT_CTRL[11:0]: rd_value = f_ctrl_reg;
                REG_FILT_LOCAL_IP[11:0]: rd_value = f_lip_reg;
                REG_FILT_PORTS[11:0]: rd_value = f_ports_reg;
                REG_FILT_REMOTE_IP[11:0]: rd_value = f_rip_reg;
                default: rd_value = 32'd0;
            endcase
        end
    end
end

// IRQ_STATUS: bit v = VI v's line (VIs beyond 31 are not shown)
wire [31:0] irq_status;
generate
if (NUM_VI >= 32) begin : g_irq_wide
    assign irq_status = irq[31:0];
end else begin : g_irq_narrow
    assign irq_status = {{(32-NUM_VI){1'b0}}, irq};
end
endgenerate

always @* begin
    rd_busy_next = rd_busy_reg;
    rd_wait_next = rd_wait_reg;
    rd_addr_next = rd_addr_reg;
    rvalid_next = rvalid_reg && !s_axil_rready;
    rdata_next = rdata_reg;
    if (s_axil_arvalid && s_axil_arready) begin
        rd_busy_next = 1'b1;
        rd_wait_next = 2'd2;
        rd_addr_next = s_axil_araddr;
    end else if (rd_busy_reg) begin
        if (rd_wait_reg != 2'd0) begin
            rd_wait_next = rd_wait_reg - 2'd1;
        end else begin
            rd_busy_next = 1'b0;
            rvalid_next = 1'b1;
            rdata_next = rd_value;
        end
    end
end

always @(posedge clk) begin
    rd_addr_reg <= rd_addr_next;
    rd_wait_reg <= rd_wait_next;
    rdata_reg <= rdata_next;
    if (rst) begin
        bvalid_reg <= 1'b0;
        rd_busy_reg <= 1'b0;
        rvalid_reg <= 1'b0;
    end else begin
        bvalid_reg <= bvalid_next;
        rd_busy_reg <= rd_busy_next;
        rvalid_reg <= rvalid_next;
    end
end

wire unused_ok = &{1'b0, s_axil_awprot, s_axil_arprot, s_axil_wstrb, s_axil_awaddr[1:0],
                   s_axil_araddr[1:0], rd_off[11:7], wd[31:VI_W], irq};

endmodule

`default_nettype wire
