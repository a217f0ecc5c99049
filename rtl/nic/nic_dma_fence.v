// nic_dma_fence: the DMA fence that completes a buffer-table invalidation.
//
// A driver that removes a buffer-table entry must know when no DMA can still use the old
// translation before it hands the page on: an engine may hold a translated address in its
// queues, or have a burst in flight, long after the table write. So every translation is
// tagged with the fence epoch (1 bit) current when the table looked it up (nic_buf_table
// samples `epoch` with its RAM read), the engines carry the tag with the address, and each
// engine reports every translation it is done with, with its tag: DMA completed (read burst's
// last beat taken, write's B response received) or abandoned (refused, discarded, stale).
// This block counts translations in flight per epoch.
//
// A fence request (BT_FENCE write) flips the epoch: lookups from then on see every table write
// made before it. The fence is complete once no translation of the previous epoch is in flight
// (`busy` low). A request while a fence is running waits until it completes, then flips, so the
// two epochs never mix. Counting is independent of the order in which engines retire their
// translations.
//
// `err` is sticky: more retirements than translations of an epoch (an engine reported one
// twice). A test that sees it, or sees translations in flight on an idle NIC, has found an
// engine whose accounting is wrong, which could end a fence early or never.
`timescale 1ns / 1ps
`default_nettype none

module nic_dma_fence #(
    parameter integer PORTS = 5,        // translate ports (accepted requests)
    parameter integer RET_PORTS = 5,    // retirement reporters
    parameter integer RET_W = 8,        // retirement count width, per epoch and reporter
    parameter integer CNT_W = 12        // translations in flight per epoch
) (
    input  wire                      clk,
    input  wire                      rst,

    input  wire                      fence_req,   // start a fence (pulse)
    output wire                      epoch,       // tag of translations looked up now
    output wire                      busy,        // a fence is requested or running

    // requests accepted by the translate ports this cycle (tagged with `epoch`)
    input  wire [PORTS-1:0]          acc,
    // per reporter r: [r*2*RET_W +: RET_W] epoch 0 retirements, the next RET_W bits epoch 1's
    input  wire [RET_PORTS*2*RET_W-1:0] ret,

    output wire [CNT_W-1:0]          inflight,    // translations in flight of the current epoch
    output wire [CNT_W-1:0]          waiting,     // of the previous epoch (what a fence waits for)
    output wire                      queued,      // a fence waits for the previous one to complete
    output wire                      err          // sticky: an epoch retired more than it took
);

initial begin
    if (PORTS < 1 || RET_PORTS < 1 || RET_W < 1 || CNT_W < RET_W + 2) begin
        $error("nic_dma_fence: impossible configuration");
        $finish;
    end
end

reg              epoch_reg;
reg              pend_reg;       // fence requested, waiting for the previous one to complete
reg [CNT_W-1:0]  cnt_reg [0:1];
reg              err_reg;

// sums of this cycle
reg [CNT_W-1:0] acc_sum;
reg [CNT_W-1:0] ret_sum [0:1];
integer i, e;
always @* begin
    acc_sum = {CNT_W{1'b0}};
    for (i = 0; i < PORTS; i = i + 1) begin
        acc_sum = acc_sum + {{(CNT_W-1){1'b0}}, acc[i]};
    end
    for (e = 0; e < 2; e = e + 1) begin
        ret_sum[e] = {CNT_W{1'b0}};
        for (i = 0; i < RET_PORTS; i = i + 1) begin
            ret_sum[e] = ret_sum[e] +
                {{(CNT_W-RET_W){1'b0}}, ret[(i*2+e)*RET_W +: RET_W]};
        end
    end
end

wire [CNT_W-1:0] add0 = epoch_reg ? {CNT_W{1'b0}} : acc_sum;
wire [CNT_W-1:0] add1 = epoch_reg ? acc_sum : {CNT_W{1'b0}};
wire [CNT_W:0]   have0 = {1'b0, cnt_reg[0]} + {1'b0, add0};
wire [CNT_W:0]   have1 = {1'b0, cnt_reg[1]} + {1'b0, add1};
wire under0 = have0 < {1'b0, ret_sum[0]};
wire under1 = have1 < {1'b0, ret_sum[1]};

wire old_idle = cnt_reg[!epoch_reg] == {CNT_W{1'b0}};
wire flip = (fence_req || pend_reg) && old_idle;

assign epoch = epoch_reg;
assign busy = pend_reg || !old_idle;
assign inflight = cnt_reg[epoch_reg];
assign waiting = cnt_reg[!epoch_reg];
assign queued = pend_reg;
assign err = err_reg;

always @(posedge clk) begin
    if (rst) begin
        epoch_reg <= 1'b0;
        pend_reg <= 1'b0;
        cnt_reg[0] <= {CNT_W{1'b0}};
        cnt_reg[1] <= {CNT_W{1'b0}};
        err_reg <= 1'b0;
    end else begin
        if (flip) begin
            epoch_reg <= !epoch_reg;
        end
        pend_reg <= (fence_req || pend_reg) && !flip;
        // an underflow saturates at zero (and is flagged) rather than wrapping to "busy forever"
        cnt_reg[0] <= under0 ? {CNT_W{1'b0}} : have0[CNT_W-1:0] - ret_sum[0];
        cnt_reg[1] <= under1 ? {CNT_W{1'b0}} : have1[CNT_W-1:0] - ret_sum[1];
        if (under0 || under1) begin
            err_reg <= 1'b1;
        end
    end
end

endmodule

`default_nettype wire
